import itertools
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import check_chain, record, verify_chain
from audit.models import (
    GENESIS_HASH,
    Action,
    AppendOnlyError,
    AuditEvent,
    AuditEventQuerySet,
    ChainHead,
)
from tests.audit.conftest import tamper

# Some tests here alter the audit table by hand on purpose.
pytestmark = pytest.mark.tampers_with_audit


@pytest.fixture
def events(acme, alice):
    """Five events in Acme's chain (sign-up was the first)."""
    for n in range(4):
        record(action=Action.SIGN_IN, organization=acme, actor=alice, metadata={"n": n})
    return list(AuditEvent.objects.chain(acme.pk))


def test_it_links_each_event_to_the_one_before(events):
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)


def test_an_intact_chain_verifies(events, acme):
    assert verify_chain(acme.pk) is None
    call_command("verify_audit_chain")


def test_it_catches_an_edited_row(events, acme):
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", events[2].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[2].pk}:")
    with pytest.raises(CommandError, match=f"event {events[2].pk}"):
        call_command("verify_audit_chain")


def test_it_catches_edited_metadata(events, acme):
    tamper("UPDATE audit_auditevent SET metadata = %s WHERE id = %s", ['{"n": 99}', events[1].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[1].pk}:")


def test_it_catches_a_deleted_row(events, acme):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[3].pk}:")


def test_it_catches_the_newest_row_deleted(events, acme):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    assert "newest events are missing" in verify_chain(acme.pk)


def test_it_catches_reordered_rows(events, acme):
    a, b = events[1], events[2]
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["swapping", a.pk])
    for event, other in ((b, a), (a, b)):
        tamper(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, metadata = %s WHERE id = %s",
            [other.prev_hash, other.hash, json.dumps({"n": other.metadata["n"]}), event.pk],
        )
    assert verify_chain(acme.pk) is not None


def test_it_names_the_organization_to_check(events, acme, globex):
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", events[2].pk])
    call_command("verify_audit_chain", organization=globex.slug)
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", organization=acme.slug)


def test_events_without_an_organization_form_their_own_chain(acme, alice):
    first = record(action=Action.SIGN_IN_FAILED, actor_name="nobody")
    second = record(action=Action.SIGN_IN_FAILED, actor_name="nobody-else")
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert verify_chain(None) is None


def test_events_cannot_be_changed_or_removed_through_the_application(events):
    event = events[0]
    event.actor_name = "mallory"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="mallory")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "alice"


def test_it_records_who_and_where(acme, alice, rf):
    request = rf.get("/", HTTP_USER_AGENT="x" * 600, REMOTE_ADDR="203.0.113.9")
    event = record(action=Action.SIGN_IN, organization=acme, actor=alice, request=request)
    assert (event.actor_kind, event.actor_id, event.actor_name) == ("user", str(alice.pk), "alice")
    assert event.ip == "203.0.113.9"
    assert len(event.user_agent) == 512


def test_the_database_itself_refuses_changes_on_postgresql(events):
    event = events[0]
    if connection.vendor != "postgresql":
        # SQLite has no trigger (nothing could let the prune through): the model refuses.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            assert cursor.fetchone() == (0,)
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=event.pk).delete()
        return
    for sql in (
        "UPDATE audit_auditevent SET actor_name = 'mallory' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    # The prune's setting lets a DELETE through, never an UPDATE.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL keydesk.audit_prune = 'on'")
        cursor.execute("UPDATE audit_auditevent SET actor_name = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "alice"


def test_events_are_never_appended_around_record(events):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(action="sign_in", prev_hash="", hash="x")])
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update(events, ["actor_name"])


def test_it_catches_a_removed_oldest_row(events, acme):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[1].pk}: does not follow")


def test_it_catches_a_rewound_head(events, acme):
    ChainHead.objects.filter(chain=f"org:{acme.pk}").update(last_hash=events[2].hash)
    assert "rewound" in verify_chain(acme.pk)


def test_it_catches_a_removed_head(events, acme):
    ChainHead.objects.filter(chain=f"org:{acme.pk}").delete()
    assert "head is missing" in verify_chain(acme.pk)


def test_an_append_landing_as_the_walk_ends_is_no_break(events, acme, alice, monkeypatch):
    walk = AuditEventQuerySet.iterator

    def iterator(self, *args, **kwargs):
        yield from walk(self, *args, **kwargs)
        record(action=Action.SIGN_OUT, organization=acme, actor=alice)

    monkeypatch.setattr(AuditEventQuerySet, "iterator", iterator)
    report = check_chain(acme.pk)
    assert report.intact
    assert (report.events, report.through) == (5, events[-1].pk)


def test_it_reports_what_it_checked(events, acme):
    report = check_chain(acme.pk)
    assert (report.intact, report.events, report.through) == (True, 5, events[-1].pk)
    tamper("UPDATE audit_auditevent SET actor_name = 'x' WHERE id = %s", [events[3].pk])
    report = check_chain(acme.pk)
    assert (report.intact, report.events, report.broken_event) == (False, 3, events[3].pk)


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "stored"),
    [
        ("2001:DB8:0:0::1", "", 0, "2001:db8::1"),  # as the database hands it back
        ("10.0.0.2", "203.0.113.7, 198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.2", "203.0.113.7, 198.51.100.1", 2, "203.0.113.7"),
        ("10.0.0.2", "not-an-address", 1, None),
        ("", "", 0, None),
    ],
)
def test_it_records_the_client_address(acme, rf, settings, remote, forwarded, proxies, stored):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    event = record(action=Action.SIGN_IN, organization=acme, request=request)
    assert event.ip == stored
    assert AuditEvent.objects.get(pk=event.pk).ip == stored
    assert verify_chain(acme.pk) is None


def test_nothing_shaped_like_a_key_is_recorded(acme, api_key, rf):
    key, plaintext = api_key
    request = rf.get("/", HTTP_USER_AGENT=f"curl ({plaintext})")
    event = record(
        action=Action.KEY_UPDATED,
        organization=acme,
        actor_name=plaintext,
        target=key,
        request=request,
        metadata={"note": f"pasted {plaintext}", "nested": [{"k": plaintext}]},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert plaintext not in json.dumps(stored.as_record())
    assert stored.metadata["note"] == f"pasted {plaintext[:8]}[redacted]"
    assert verify_chain(acme.pk) is None


def test_changes_show_before_and_after(acme):
    event = record(
        action=Action.KEY_UPDATED,
        organization=acme,
        metadata={
            "before": {"name": "a", "allowed_ips": []},
            "after": {"name": "b", "allowed_ips": ["10.0.0.0/8"]},
        },
    )
    assert event.changes == [("allowed_ips", "[]", '["10.0.0.0/8"]'), ("name", "a", "b")]
    assert record(action=Action.SIGN_IN, organization=acme).changes == []


def test_actions_cover_the_contract():
    contract = {
        "sign_in",
        "sign_in_failed",
        "sign_out",
        "sign_up",
        "project_created",
        "project_deleted",
        "environment_created",
        "environment_deleted",
        "key_created",
        "key_updated",
        "key_rotated",
        "key_revoked",
        "key_expired",
        "member_added",
        "role_changed",
        "member_removed",
        "audit_exported",
        "audit_pruned",
    }
    assert contract <= set(Action.values)
