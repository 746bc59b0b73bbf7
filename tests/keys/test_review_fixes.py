"""Regressions from a security review: each test failed before its fix."""

import json
from datetime import timedelta

from django.utils import timezone

from dashboard.members import remove_member
from keys.models import ApiKey, issue_api_key, rotate_api_key, update_api_key
from keys.verification import ip_allowed

URL = "/v1/api-keys"


def call(client, key, method, path="", body=None):
    return getattr(client, method)(
        URL + path,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_a_rotated_personal_key_stays_its_owners_and_goes_with_them(
    client, alice, bob, acme, development
):
    key, _ = issue_api_key(environment=development, name="bob's", by=bob)
    new, plaintext = rotate_api_key(key=key, by=alice)
    assert new.created_by == bob
    remove_member(membership=bob.memberships.get(), by=alice)
    new.refresh_from_db()
    assert new.status == "revoked"
    response = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.json()["error"]["code"] == "revoked_api_key"


def test_a_limited_manage_key_cannot_mint_a_key_without_its_limits(client, development, alice):
    soon = timezone.now() + timedelta(days=1)
    _, limited = issue_api_key(
        environment=development,
        name="office automation",
        by=alice,
        manage=True,
        expires_at=soon,
        allowed_ips=["10.0.0.0/8"],
    )
    office = {"REMOTE_ADDR": "10.1.2.3"}

    def post(body):
        return client.post(
            URL,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {limited}",
            **office,
        )

    later = (soon + timedelta(days=30)).isoformat()
    response = post({"name": "x", "environment": "development", "expires_at": later})
    assert response.status_code == 403
    response = post({"name": "x", "environment": "development", "allowed_ips": ["0.0.0.0/0"]})
    assert response.status_code == 403
    # Without limits of its own asked for, the new key inherits the caller's.
    created = post({"name": "x", "environment": "development"}).json()
    key = ApiKey.objects.get(public_id=created["id"])
    assert key.expires_at == soon
    assert key.allowed_ips == ["10.0.0.0/8"]
    # Nor can it lift them from another key afterwards.
    response = client.patch(
        f"{URL}/{key.public_id}",
        data=json.dumps({"expires_at": None}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {limited}",
        **office,
    )
    assert response.status_code == 403


def test_nul_characters_are_refused_not_500(client, development, alice):
    _, manager = issue_api_key(environment=development, name="m", by=alice, manage=True)
    response = call(client, manager, "post", body={"name": "a\x00b", "environment": "development"})
    assert response.status_code == 422
    assert call(client, manager, "get", "/key_%00").status_code == 404
    response = client.post("/accounts/login/", {"login": "a\x00b", "password": "x"})
    assert response.status_code == 200
    client.force_login(alice)
    assert client.get("/keys/%00/").status_code == 404
    assert client.get("/keys/revoke/", {"keys": "key_\x00"}).status_code == 200


def test_an_ipv4_client_on_a_dual_stack_listener_matches_ipv4_networks(client, development, alice):
    _, plaintext = issue_api_key(
        environment=development, name="ip", by=alice, allowed_ips=["127.0.0.0/8"]
    )
    response = client.get(
        "/v1/auth/verify",
        REMOTE_ADDR="::ffff:127.0.0.1",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    assert response.status_code == 200
    assert not ip_allowed(None, ["0.0.0.0/0"])


def test_a_new_expiry_is_recorded_again_when_it_comes(client, development, alice):
    key, plaintext = issue_api_key(
        environment=development, name="k", by=alice, expires_at=timezone.now() - timedelta(1)
    )
    verify = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    client.get("/v1/auth/verify", **verify)
    update_api_key(key=key, by=alice, changes={"expires_at": timezone.now() - timedelta(seconds=1)})
    client.get("/v1/auth/verify", **verify)
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="key_expired").count() == 2


def test_saving_the_edit_form_unchanged_keeps_the_exact_expiry(client, alice, development):
    expires = timezone.now().replace(microsecond=123456) + timedelta(days=3)
    key, _ = issue_api_key(environment=development, name="k", by=alice, expires_at=expires)
    client.force_login(alice)
    page = client.get(f"/keys/{key.public_id}/edit/").content.decode()
    shown = expires.strftime("%Y-%m-%dT%H:%M:%S")
    assert f'value="{shown}"' in page
    client.post(
        f"/keys/{key.public_id}/edit/",
        {"name": "renamed", "expires_at": shown, "allowed_ips": "", "rate_limit": ""},
    )
    key.refresh_from_db()
    assert key.expires_at == expires
    from audit.models import AuditEvent

    assert set(AuditEvent.objects.get(action="key_updated").metadata["after"]) == {"name"}


def test_a_key_cannot_be_rotated_twice(client, alice, api_key):
    import pytest

    from keys.models import NotRotatable

    key, _ = api_key
    stale = ApiKey.objects.get(pk=key.pk)  # read before the first rotation
    rotate_api_key(key=key, by=alice, grace_seconds=3600)
    with pytest.raises(NotRotatable):
        rotate_api_key(key=stale, by=alice)
    assert ApiKey.objects.count() == 2
