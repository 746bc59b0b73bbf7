from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from audit.chain import verify_chain
from audit.models import AuditEvent
from keys import tokens
from keys.counters import counters
from keys.models import (
    ApiKey,
    KeyUsage,
    Kind,
    Status,
    candidate_digests,
    digest,
    issue_api_key,
    revoke_api_key,
    with_recent_usage,
)


def test_it_stores_only_the_digest_and_hint(api_key):
    key, plaintext = api_key
    key.refresh_from_db()
    assert key.digest == digest(plaintext)
    assert key.hint == tokens.hint(plaintext)
    assert plaintext not in {key.digest, key.hint, key.public_id, key.name}


def test_it_tags_keys_by_environment(development, production, alice):
    _, test_key = issue_api_key(environment=development, name="a", by=alice)
    _, live_key = issue_api_key(environment=production, name="b", by=alice)
    assert test_key.startswith("kd_test_")
    assert live_key.startswith("kd_live_")


def test_it_gives_each_key_a_public_id(api_key):
    key, _ = api_key
    assert key.public_id.startswith("key_")
    assert len(key.public_id) == 4 + 16
    assert key.public_id != str(key.pk)


def test_it_always_grants_read(development, alice):
    key, _ = issue_api_key(environment=development, name="w", by=alice, write=True)
    assert key.permissions == ["read", "write"]
    key, _ = issue_api_key(environment=development, name="m", by=alice, manage=True)
    assert key.permissions == ["read", "manage"]


def test_it_derives_status(development, alice):
    key, _ = issue_api_key(environment=development, name="k", by=alice)
    assert key.status == Status.ACTIVE
    key.expires_at = timezone.now() - timedelta(seconds=1)
    assert key.status == Status.EXPIRED
    key.revoked_at = timezone.now()
    assert key.status == Status.REVOKED


def test_querysets_split_keys_by_status(development, alice):
    active, _ = issue_api_key(environment=development, name="a", by=alice)
    expired, _ = issue_api_key(
        environment=development,
        name="e",
        by=alice,
        expires_at=timezone.now() - timedelta(days=1),
    )
    revoked, _ = issue_api_key(environment=development, name="r", by=alice)
    revoke_api_key(key=revoked, by=alice, reason="leaked")
    assert list(ApiKey.objects.active()) == [active]
    assert list(ApiKey.objects.expired()) == [expired]
    assert list(ApiKey.objects.revoked()) == [revoked]


def test_for_user_and_for_organization_never_cross_tenants(api_key, globex_environment, charlie):
    key, _ = api_key
    other, _ = issue_api_key(environment=globex_environment, name="theirs", by=charlie)
    assert list(ApiKey.objects.for_user(charlie)) == [other]
    assert list(ApiKey.objects.for_organization(key.environment.project.organization)) == [key]


def test_issuing_records_an_audit_event_without_the_secret(api_key, acme):
    key, plaintext = api_key
    event = AuditEvent.objects.filter(action="key_created").get()
    assert event.organization == acme
    assert event.target_id == key.public_id
    assert event.target_name == key.name
    assert event.metadata["hint"] == key.hint
    assert event.metadata["permissions"] == ["read"]
    assert plaintext not in str(event.metadata)
    assert verify_chain(acme.pk) is None


def test_revoking_is_recorded_once(api_key, alice, acme):
    key, _ = api_key
    assert revoke_api_key(key=key, by=alice, reason="leaked in a gist") is True
    assert revoke_api_key(key=key, by=alice, reason="again") is False
    key.refresh_from_db()
    assert key.status == Status.REVOKED
    assert key.revoked_by == alice
    assert key.revoked_reason == "leaked in a gist"
    assert AuditEvent.objects.filter(action="key_revoked").count() == 1
    assert verify_chain(acme.pk) is None


def test_an_old_hash_secret_still_matches_after_rotation(api_key):
    key, plaintext = api_key
    with override_settings(KEY_HASH_SECRETS=["new-secret-" + "x" * 32, "keydesk-development-only"]):
        assert digest(plaintext) != key.digest
        assert key.digest in candidate_digests(plaintext)


@pytest.mark.parametrize("kind", [Kind.PERSONAL, Kind.SERVICE])
def test_it_keeps_the_kind(development, alice, kind):
    key, _ = issue_api_key(environment=development, name="k", by=alice, kind=kind)
    assert ApiKey.objects.get(pk=key.pk).kind == kind


def test_recent_usage_adds_what_the_cache_holds(api_key):
    key, _ = api_key
    today = timezone.now().date()
    yesterday = today - timedelta(days=1)
    key.usage.create(day=yesterday, requests=10)
    key.usage.create(day=today - timedelta(days=40), requests=99)
    # Counts not yet written wait in keys.counters (Redis, or this process).
    counters.give_back(KeyUsage.counter(key.pk, today), 3)
    counters.give_back(KeyUsage.counter(key.pk, yesterday), 2)
    [shown] = with_recent_usage(ApiKey.objects.filter(pk=key.pk))
    assert shown.recent_requests == 15
    *_, before, on_yesterday, on_today = KeyUsage.per_day(key)
    assert [on_yesterday, on_today] == [(yesterday, 12), (today, 3)]
    assert before == (yesterday - timedelta(days=1), 0)
