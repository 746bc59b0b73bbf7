import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from dashboard.members import remove_member
from keys.models import ApiKey, NotRotatable, digest, issue_api_key, rotate_api_key
from keys.tokens import KEY_RE


def url(key):
    return f"/keys/{key.public_id}/rotate/"


def verify(client, plaintext):
    return client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def test_it_offers_the_grace_windows(client, alice, api_key, htmx):
    client.force_login(alice)
    html = client.get(url(api_key[0]), **htmx).content.decode()
    assert html.lstrip().startswith("<dialog")
    for label in ("Immediately", "In 1 hour", "In 24 hours", "In 7 days"):
        assert label in html


def test_rotating_immediately_shows_the_new_key_once(client, alice, api_key, htmx):
    old, old_plaintext = api_key
    client.force_login(alice)
    response = client.post(url(old), {"grace_seconds": "0"}, **htmx)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert {"keyCreated", "keysChanged"} <= set(json.loads(response["HX-Trigger"]))
    html = response.content.decode()
    assert 'closedby="none"' in html
    assert "Store this private key securely" in html
    new_plaintext = KEY_RE.search(html).group(0)
    new = ApiKey.objects.get(digest=digest(new_plaintext))
    assert new.rotated_from == old
    assert new.name == old.name
    assert verify(client, new_plaintext).status_code == 200
    assert verify(client, old_plaintext).json()["error"]["code"] == "revoked_api_key"
    event = AuditEvent.objects.get(action="key_rotated")
    assert event.metadata["successor"] == new.public_id
    assert new_plaintext not in json.dumps(event.metadata)


def test_rotating_with_grace_keeps_the_old_key_working(client, alice, api_key):
    old, old_plaintext = api_key
    client.force_login(alice)
    client.post(url(old), {"grace_seconds": "86400"})
    old.refresh_from_db()
    assert timedelta(hours=23) < old.revoked_at - timezone.now() <= timedelta(hours=24)
    assert verify(client, old_plaintext).status_code == 200
    tab = client.get("/projects/billing-api/environments/development/keys/").content.decode()
    assert "expires in" in tab


def test_an_unknown_grace_is_refused(client, alice, api_key):
    client.force_login(alice)
    response = client.post(url(api_key[0]), {"grace_seconds": "5"})
    assert response.status_code == 422
    assert ApiKey.objects.count() == 1


def test_a_rotated_key_cannot_be_rotated_again(client, alice, api_key):
    client.force_login(alice)
    client.post(url(api_key[0]), {"grace_seconds": "3600"})
    response = client.post(url(api_key[0]), {"grace_seconds": "0"})
    assert response.status_code == 302
    assert ApiKey.objects.count() == 2


def test_a_key_cannot_be_rotated_twice(client, alice, api_key):
    key, _ = api_key
    stale = ApiKey.objects.get(pk=key.pk)  # read before the first rotation
    rotate_api_key(key=key, by=alice, grace_seconds=3600)
    with pytest.raises(NotRotatable):
        rotate_api_key(key=stale, by=alice)
    assert ApiKey.objects.count() == 2


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


def test_a_member_cannot_rotate_a_manage_key(client, bob, development):
    key, _ = issue_api_key(environment=development, name="m", by=bob, manage=True)
    client.force_login(bob)
    assert client.post(url(key), {"grace_seconds": "0"}).status_code == 403
    assert ApiKey.objects.count() == 1


def test_a_member_cannot_rotate_someone_elses_key(client, bob, api_key):
    client.force_login(bob)
    assert client.post(url(api_key[0]), {"grace_seconds": "0"}).status_code == 403


def test_another_organization_gets_404(client, charlie, globex, api_key):
    client.force_login(charlie)
    assert client.post(url(api_key[0]), {"grace_seconds": "0"}).status_code == 404
    assert ApiKey.objects.count() == 1
