"""Two-factor sign-in through allauth.mfa: an authenticator app (TOTP) and recovery codes;
each change audited."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import TestCase

from audit.models import Action, AuditEvent
from tests.conftest import PASSWORD
from tests.totp import fresh_totp, totp

ACTIVATE = "/accounts/2fa/totp/activate/"


def sign_in(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"login": username, "password": password})


def reauthenticate(client, next_url):
    """allauth asks for the password again before a second factor is changed."""
    response = client.get(next_url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": next_url})


def activate_totp(client):
    """Through the page, as a person would: read the secret, answer with a code.

    allauth announces the new factor once the change commits: the test runs those hooks."""
    reauthenticate(client, ACTIVATE)
    html = client.get(ACTIVATE).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html)
    secret = secret or re.search(r'value="([A-Z2-7]{16,})"[^>]*id="authenticator_secret"', html)
    secret = secret.group(1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(ACTIVATE, {"code": fresh_totp(secret)})
    return secret, response


@pytest.fixture
def alice_with_totp(client, alice, acme):
    sign_in(client, "alice")
    secret, _ = activate_totp(client)
    client.post("/accounts/logout/")
    return secret


def test_the_activation_page_shows_the_secret_as_text_and_as_a_qr_code(client, alice, acme):
    sign_in(client, "alice")
    reauthenticate(client, ACTIVATE)
    response = client.get(ACTIVATE)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="authenticator_secret"', html)
    assert 'src="data:image/svg+xml;base64,' in html
    assert re.search(r"<label[^>]*>[^<]*code", html, re.IGNORECASE)
    assert re.search(r">\s*Activate\s*</button>", html)
    assert 'class="topbar"' in html  # our frame, not allauth's bare page


def test_it_activates_with_a_right_code_and_records_it(client, alice, acme):
    sign_in(client, "alice")
    _, response = activate_totp(client)
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=alice, type="totp").exists()
    methods = sorted(
        e.metadata["method"] for e in AuditEvent.objects.filter(action=Action.TWO_FACTOR_ADDED)
    )
    assert methods == ["recovery_codes", "totp"]
    assert all(e.organization == acme for e in AuditEvent.objects.all())


def test_a_wrong_code_activates_nothing(client, alice, acme):
    sign_in(client, "alice")
    reauthenticate(client, ACTIVATE)
    client.get(ACTIVATE)
    response = client.post(ACTIVATE, {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=alice).exists()
    assert not AuditEvent.objects.filter(action=Action.TWO_FACTOR_ADDED).exists()


def test_the_password_alone_no_longer_signs_in(client, alice, acme, alice_with_totp):
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    assert client.get("/projects/").status_code == 302
    page = client.get("/accounts/2fa/authenticate/").content.decode()
    assert re.search(r"<label[^>]*>[^<]*code", page, re.IGNORECASE)


def test_a_code_after_the_password_signs_in_and_is_recorded_once(
    client, alice, acme, alice_with_totp
):
    signed_in_before = AuditEvent.objects.filter(action=Action.SIGN_IN).count()
    sign_in(client, "alice")
    response = client.post("/accounts/2fa/authenticate/", {"code": fresh_totp(alice_with_totp)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert AuditEvent.objects.filter(action=Action.SIGN_IN).count() == signed_in_before + 1


def test_a_wrong_code_does_not_sign_in(client, alice, acme, alice_with_totp):
    sign_in(client, "alice")
    wrong = f"{(int(totp(alice_with_totp)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(client, alice, acme, alice_with_totp):
    codes = Authenticator.objects.get(user=alice, type="recovery_codes").wrap()
    code = codes.get_unused_codes()[0]
    sign_in(client, "alice")
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert client.session["_auth_user_id"] == str(alice.pk)
    client.post("/accounts/logout/")
    sign_in(client, "alice")
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_turning_it_off_is_recorded(client, alice, acme, alice_with_totp):
    sign_in(client, "alice")
    client.post("/accounts/2fa/authenticate/", {"code": fresh_totp(alice_with_totp)})
    reauthenticate(client, "/accounts/2fa/totp/deactivate/")
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=alice).exists()
    removed = AuditEvent.objects.filter(action=Action.TWO_FACTOR_REMOVED)
    assert sorted(e.metadata["method"] for e in removed) == ["recovery_codes", "totp"]


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get(ACTIVATE)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
