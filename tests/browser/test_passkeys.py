"""Passkeys (WebAuthn) through Chromium's virtual authenticator: register one, then sign in
with it alone. allauth's WebAuthn scripts load from our static files under the strict CSP."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from audit.models import Action, AuditEvent
from tests.browser.conftest import problems
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def authenticator(page: Page):
    """A platform authenticator that holds resident keys and verifies its user at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def test_a_passkey_is_registered_and_signs_in_alone(
    page: Page, console, sign_in, alice, acme, authenticator
):
    cdp, authenticator_id = authenticator
    base = sign_in(alice)
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()

    passkey = Authenticator.objects.get(user=alice, type="webauthn")
    assert passkey.wrap().is_passwordless
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    added = AuditEvent.objects.filter(action=Action.TWO_FACTOR_ADDED)
    assert "webauthn" in {e.metadata["method"] for e in added}

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.locator(".username")).to_have_text("alice")
    assert AuditEvent.objects.filter(action=Action.SIGN_IN).count() == 2
    assert problems(console) == []
