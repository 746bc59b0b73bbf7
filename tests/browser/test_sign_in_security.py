"""Guarding the dashboard in a real Chromium (DESIGN.md section 11): an authenticator app,
recovery codes, re-authentication before revocation, a first password, the 2FA requirement."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from dashboard.members import add_member
from environments.models import Organization, Role
from keys.models import issue_api_key
from tests.browser.conftest import problems, submit_sign_in
from tests.conftest import PASSWORD
from tests.totp import fresh_totp, totp

pytestmark = pytest.mark.browser


def confirm_password(page: Page):
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def activate_totp(page: Page, base):
    """From the two-factor page: the password again, then the app's code; returns the secret."""
    page.goto(f"{base}/accounts/2fa/")
    page.get_by_role("link", name="Activate").click()
    confirm_password(page)
    expect(page.get_by_role("img")).to_have_attribute("src", re.compile("^data:image/svg"))
    secret = page.locator("#authenticator_secret").input_value()
    assert len(secret) >= 16
    page.get_by_label("Authenticator code").fill(fresh_totp(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    return secret


def sign_out(page: Page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_an_authenticator_app_guards_the_sign_in(page: Page, console, sign_in, alice, acme):
    base = sign_in(alice)
    secret = activate_totp(page, base)
    assert Authenticator.objects.filter(user=alice, type="totp").exists()
    sign_out(page)

    submit_sign_in(page, base, "alice")
    code_field = page.get_by_label("Code")
    expect(code_field).to_be_visible()
    page.goto(f"{base}/projects/")  # no dashboard page before the code
    expect(page).not_to_have_url(f"{base}/projects/")
    expect(page.locator(".username")).to_have_count(0)

    page.goto(f"{base}/accounts/2fa/authenticate/")
    wrong = f"{(int(totp(secret)) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field .error")).to_have_text("Incorrect code.")
    expect(page.locator(".username")).to_have_count(0)

    page.get_by_label("Code").fill(fresh_totp(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".username")).to_have_text("alice")
    assert problems(console) == []


def test_a_recovery_code_signs_in(page: Page, console, sign_in, alice, acme):
    base = sign_in(alice)
    activate_totp(page, base)
    codes = page.get_by_label("Unused codes").input_value()
    recovery = Authenticator.objects.get(user=alice, type="recovery_codes").wrap()
    code = recovery.get_unused_codes()[0]
    assert code in codes  # shown on the page after activation
    sign_out(page)

    submit_sign_in(page, base, "alice")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".username")).to_have_text("alice")
    assert (
        code
        not in recovery.__class__(
            Authenticator.objects.get(user=alice, type="recovery_codes")
        ).get_unused_codes()
    )


def test_a_stale_session_revokes_only_after_the_password(
    page: Page, console, sign_in, alice, development, settings
):
    key, _ = issue_api_key(environment=development, name="CI deploys", by=alice)
    base = sign_in(alice)
    page.goto(f"{base}/keys/")
    page.locator(f"tr[data-key-id='{key.public_id}'] input[name=keys]").check()
    page.get_by_role("button", name="Revoke selected").click()
    dialog = page.locator("dialog[data-modal][open]")
    dialog.get_by_label("Reason").fill("laptop stolen")

    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 1  # the dialog was left open too long
    time.sleep(1.2)
    dialog.get_by_role("button", name="Confirm revocation").click()
    expect(page).to_have_url(f"{base}/accounts/reauthenticate/?next=%2Fkeys%2F")
    key.refresh_from_db()
    assert key.status == "active"

    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    confirm_password(page)
    expect(page).to_have_url(f"{base}/keys/")
    page.locator(f"tr[data-key-id='{key.public_id}'] input[name=keys]").check()
    page.get_by_role("button", name="Revoke selected").click()
    dialog.get_by_label("Reason").fill("laptop stolen")
    dialog.get_by_role("button", name="Confirm revocation").click()
    expect(page.locator(f"tr[data-key-id='{key.public_id}'] .status")).to_have_text("revoked")
    key.refresh_from_db()
    assert key.status == "revoked"
    assert key.revoked_reason == "laptop stolen"


def test_a_new_member_chooses_a_password_first(page: Page, console, base_url_live, alice, acme):
    membership, one_time = add_member(organization=acme, username="dana", by=alice)
    submit_sign_in(page, base_url_live, "dana", one_time)
    expect(page).to_have_url(f"{base_url_live}/accounts/password/?next=%2F")
    expect(page.get_by_role("alert")).to_contain_text("one-time password")
    page.goto(f"{base_url_live}/projects/")  # anything else leads back here
    expect(page).to_have_url(f"{base_url_live}/accounts/password/?next=%2Fprojects%2F")

    page.get_by_label("Current Password").fill(one_time)
    page.get_by_label(re.compile(r"^New Password:?$")).fill("dana-chose-this-one-42")
    page.get_by_label("New Password (again)").fill("dana-chose-this-one-42")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(f"{base_url_live}/projects/")
    membership.user.refresh_from_db()
    assert membership.user.check_password("dana-chose-this-one-42")


def test_the_organizations_two_factor_requirement(page: Page, console, sign_in, bob, acme):
    Organization.objects.filter(pk=acme.pk).update(require_two_factor=True)
    base = sign_in(bob)  # signed in, then sent to set a factor up
    page.goto(f"{base}/projects/")
    expect(page).to_have_url(f"{base}/accounts/2fa/?next=%2Fprojects%2F")
    expect(page.get_by_role("alert")).to_contain_text(
        "Your organization requires two-factor authentication."
    )
    activate_totp(page, base)
    page.goto(f"{base}/projects/")
    expect(page).to_have_url(f"{base}/projects/")
    assert bob.memberships.get().role == Role.MEMBER
