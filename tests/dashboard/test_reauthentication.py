"""Sensitive actions need a sign-in under REAUTHENTICATION_TIMEOUT seconds old; past that,
allauth asks for the password and then the action carries on."""

import time

import pytest

from environments.models import Role
from keys.models import issue_api_key
from tests.conftest import PASSWORD

REAUTH = "/accounts/reauthenticate/"


def stale(client, user):
    """Signed in longer ago than the timeout (a session cookie left open, or stolen)."""
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"][-1]["at"] = time.time() - 301
    session.save()


@pytest.fixture
def key(development, alice):
    return issue_api_key(environment=development, name="alice's", by=alice)[0]


def status_of(key):
    key.refresh_from_db()
    return key.status


def test_the_timeout_is_five_minutes_by_default(settings):
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT == 300


def test_a_stale_session_cannot_revoke_until_the_password_is_given(client, alice, key):
    stale(client, alice)
    data = {"keys": [key.public_id], "reason": "leaked"}
    response = client.post("/keys/revoke/", data)
    assert response.status_code == 302
    assert response.url == f"{REAUTH}?next=%2Fkeys%2Frevoke%2F"
    assert status_of(key) == "active"

    page = client.get(response.url).content.decode()
    assert '<label for="id_password">Password' in page
    assert 'class="topbar"' in page

    response = client.post(REAUTH, {"password": PASSWORD, "next": "/keys/revoke/"})
    # allauth replays the revocation that was asked for.
    assert status_of(key) == "revoked"
    assert key.revoked_reason == "leaked"


def test_a_wrong_password_revokes_nothing(client, alice, key):
    stale(client, alice)
    client.post("/keys/revoke/", {"keys": [key.public_id], "reason": "leaked"})
    response = client.post(REAUTH, {"password": "wrong", "next": "/keys/revoke/"})
    assert "Incorrect password." in response.content.decode()
    assert status_of(key) == "active"


def test_htmx_is_sent_to_the_password_page_and_back(client, alice, key, htmx):
    stale(client, alice)
    response = client.post(
        "/keys/revoke/",
        {"keys": [key.public_id], "reason": "leaked"},
        HTTP_HX_CURRENT_URL="http://testserver/keys/?status=active",
        **htmx,
    )
    assert response["HX-Redirect"] == f"{REAUTH}?next=%2Fkeys%2F%3Fstatus%3Dactive"
    assert status_of(key) == "active"


def test_a_recent_sign_in_revokes_at_once(client, alice, key):
    client.force_login(alice)
    client.post("/keys/revoke/", {"keys": [key.public_id], "reason": "leaked"})
    assert status_of(key) == "revoked"


def test_granting_manage_asks_but_other_edits_do_not(client, alice, key):
    stale(client, alice)
    form = {"name": "renamed", "description": "", "expires_at": "", "allowed_ips": ""}
    form["rate_limit"] = ""
    response = client.post(f"/keys/{key.public_id}/edit/", {**form, "manage": "on"})
    assert response.url.startswith(REAUTH)
    key.refresh_from_db()
    assert not key.can_manage
    assert key.name == "alice's"
    client.post(f"/keys/{key.public_id}/edit/", form)
    key.refresh_from_db()
    assert key.name == "renamed"


def test_member_changes_ask(client, alice, bob):
    stale(client, alice)
    membership = bob.memberships.get()
    response = client.post(f"/members/{membership.pk}/role/", {"role": "admin"})
    assert response.url.startswith(REAUTH)
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert client.post(f"/members/{membership.pk}/remove/").url.startswith(REAUTH)
    assert client.post("/members/new/", {"username": "dana"}).url.startswith(REAUTH)
    assert bob.memberships.exists()


def test_audit_exports_ask(client, alice, acme):
    stale(client, alice)
    assert client.get("/audit/export.csv").url.startswith(REAUTH)
    assert client.get("/audit/export.jsonl").url.startswith(REAUTH)
    assert client.get("/audit/").status_code == 200  # reading the log is not an export


def test_a_viewer_still_gets_403_not_a_password_page(client, victor, key):
    stale(client, victor)
    assert client.post("/keys/revoke/", {"keys": [key.public_id]}).status_code == 403
