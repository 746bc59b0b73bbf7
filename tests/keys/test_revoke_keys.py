"""/keys/revoke/: confirm with a reason, then revoke one or many; who may revoke what."""

import json

import pytest

from audit.chain import verify_chain
from audit.models import AuditEvent
from keys.models import ApiKey, issue_api_key

URL = "/keys/revoke/"


@pytest.fixture
def alices(development, alice):
    return issue_api_key(environment=development, name="alice's", by=alice)


@pytest.fixture
def bobs(development, bob):
    return issue_api_key(environment=development, name="bob's", by=bob)


def status_of(key):
    key.refresh_from_db()
    return key.status


def test_the_dialog_names_the_keys_and_asks_a_reason(client, alice, alices, bobs, htmx):
    client.force_login(alice)
    response = client.get(URL, {"keys": [alices[0].public_id, bobs[0].public_id]}, **htmx)
    html = response.content.decode()
    assert html.lstrip().startswith("<dialog")
    assert "Revoke 2 keys" in html
    assert alices[0].hint in html
    assert bobs[0].hint in html
    assert 'name="reason"' in html
    assert "Confirm revocation" in html


def test_the_plain_page_works_without_htmx(client, alice, alices):
    client.force_login(alice)
    html = client.get(URL, {"keys": alices[0].public_id}).content.decode()
    assert "<html" in html
    assert "<dialog" not in html
    assert "Confirm revocation" in html


def test_an_admin_revokes_many_at_once(client, alice, alices, bobs, acme, htmx):
    client.force_login(alice)
    response = client.post(
        URL, {"keys": [alices[0].public_id, bobs[0].public_id], "reason": "offboarding"}, **htmx
    )
    assert response.status_code == 200
    assert "keysChanged" in json.loads(response["HX-Trigger"])
    assert "Revoked 2 keys." in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()
    for key, _ in (alices, bobs):
        assert status_of(key) == "revoked"
        assert key.revoked_reason == "offboarding"
        assert key.revoked_by == alice
    events = AuditEvent.objects.filter(action="key_revoked")
    assert events.count() == 2
    assert {e.metadata["reason"] for e in events} == {"offboarding"}
    assert verify_chain(acme.pk) is None


def test_a_plain_post_redirects_back_with_a_message(client, alice, alices):
    client.force_login(alice)
    response = client.post(
        URL, {"keys": alices[0].public_id, "reason": "leak", "next": "/keys/?kind=personal"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/keys/?kind=personal"
    assert "Revoked 1 key." in client.get(response["Location"]).content.decode()


def test_it_never_redirects_off_site(client, alice, alices):
    client.force_login(alice)
    response = client.post(
        URL, {"keys": alices[0].public_id, "reason": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/keys/"


def test_a_reason_is_required(client, alice, alices, htmx):
    client.force_login(alice)
    response = client.post(URL, {"keys": alices[0].public_id, "reason": ""}, **htmx)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert status_of(alices[0]) == "active"


def test_a_member_revokes_only_their_own(client, bob, alices, bobs):
    client.force_login(bob)
    response = client.post(URL, {"keys": [bobs[0].public_id, alices[0].public_id], "reason": "x"})
    assert response.status_code == 422  # alice's key is not a choice for bob
    assert status_of(alices[0]) == "active"
    assert status_of(bobs[0]) == "active"
    client.post(URL, {"keys": bobs[0].public_id, "reason": "mine"})
    assert status_of(bobs[0]) == "revoked"
    assert status_of(alices[0]) == "active"


def test_the_dialog_says_what_it_will_not_revoke(client, bob, alices, bobs):
    client.force_login(bob)
    html = client.get(URL, {"keys": [bobs[0].public_id, alices[0].public_id]}).content.decode()
    assert bobs[0].hint in html
    assert alices[0].hint not in html
    assert "1 of the selected keys cannot be revoked by you" in html


def test_revoked_keys_fail_verification_at_once(client, alice, alices):
    _, plaintext = alices
    assert (
        client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    )
    client.force_login(alice)
    client.post(URL, {"keys": alices[0].public_id, "reason": "leak"})
    response = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.json()["error"]["code"] == "revoked_api_key"


def test_a_viewer_gets_403(client, victor, alices):
    client.force_login(victor)
    assert client.get(URL, {"keys": alices[0].public_id}).status_code == 403
    assert client.post(URL, {"keys": alices[0].public_id, "reason": "x"}).status_code == 403
    assert status_of(alices[0]) == "active"


def test_another_organization_cannot_touch_the_keys(client, charlie, globex, alices):
    client.force_login(charlie)
    response = client.post(URL, {"keys": alices[0].public_id, "reason": "x"})
    assert response.status_code == 422
    assert status_of(alices[0]) == "active"
    assert alices[0].hint not in client.get(URL, {"keys": alices[0].public_id}).content.decode()


def test_anonymous_users_are_sent_to_sign_in(client, alices):
    response = client.post(URL, {"keys": alices[0].public_id, "reason": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert ApiKey.objects.revoked().count() == 0


def test_both_answers_put_the_message_in_the_one_flash_region(client, alice, alices, bobs, htmx):
    """templates/flash.html: out of band for htmx, the request's messages on a full page."""
    client.force_login(alice)
    message = '<ul class="messages"><li class="alert success" role="status">Revoked 1 key.</li>'
    answer = client.post(URL, {"keys": alices[0].public_id, "reason": "leak"}, **htmx)
    assert (
        answer.content.decode().strip()
        == f'<div id="flash" hx-swap-oob="true">{message}</ul></div>'
    )
    client.post(URL, {"keys": bobs[0].public_id, "reason": "leak", "next": "/keys/"})
    page = client.get("/keys/").content.decode()
    assert f'<div id="flash">{message}' in page
    assert message not in client.get("/keys/").content.decode()  # shown once


def test_nothing_selected_says_so_without_a_form(client, alice, alices, htmx):
    """What a browser without JavaScript gets from `Revoke selected` with no box checked."""
    client.force_login(alice)
    for headers in ({}, htmx):
        html = client.get(URL, **headers).content.decode()
        assert "Nothing to revoke" in html
        assert "Confirm revocation" not in html
    assert status_of(alices[0]) == "active"
