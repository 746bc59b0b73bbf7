"""Single sign-on in Chromium, through a real OpenID Connect provider in its own process
(tests/oidc_provider.py): `Sign in with …` on the sign-in page, the provider, and back."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.utils.csp import CSP
from playwright.sync_api import Page, expect

from audit.models import Action, AuditEvent
from environments.models import Membership, Organization, Role
from tests.browser.conftest import problems
from tests.totp import fresh_totp

pytestmark = [pytest.mark.browser, pytest.mark.process]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def sso(oidc_provider, settings, base_url_live):
    """Keydesk with the provider configured, as OIDC_* would configure it; the live URL."""
    settings.SOCIALACCOUNT_PROVIDERS = oidc_provider.settings()
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [CSP.SELF, oidc_provider.url],
    }
    return base_url_live


def sign_in_with_sso(page: Page, base, provider, **claims):
    provider.approve(
        **{
            "sub": "dana-1",
            "email": "dana@acme.example",
            "email_verified": True,
            "preferred_username": "dana",
            "name": "Dana Scully",
            **claims,
        }
    )
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Sign in with Example SSO").click()


def test_a_verified_allowed_domain_lands_in_the_organization_as_a_viewer(
    page: Page, console, sso, oidc_provider, acme
):
    Organization.objects.filter(pk=acme.pk).update(allowed_email_domains=["acme.example"])

    sign_in_with_sso(page, sso, oidc_provider)

    expect(page.locator(".username")).to_have_text("dana")
    expect(page.locator(".role")).to_have_text("Viewer")
    expect(page.get_by_role("heading", name="Quickstart")).to_be_visible()
    membership = Membership.objects.get(user__username="dana")
    assert (membership.organization_id, membership.role) == (acme.pk, Role.VIEWER)
    added = AuditEvent.objects.get(action=Action.MEMBER_ADDED, organization=acme)
    assert added.metadata["provider_name"] == "Example SSO"
    assert problems(console) == []


@pytest.mark.parametrize(
    "claims",
    [{"email": "dana@elsewhere.example"}, {"email_verified": False}],
    ids=["domain not allowed", "address not verified"],
)
def test_otherwise_signed_in_but_in_no_organization(page: Page, sso, oidc_provider, acme, claims):
    Organization.objects.filter(pk=acme.pk).update(allowed_email_domains=["acme.example"])

    sign_in_with_sso(page, sso, oidc_provider, **claims)

    expect(page.get_by_role("heading", name="You are not in an organization yet")).to_be_visible()
    expect(page.locator(".username")).to_have_text("dana")
    assert not Membership.objects.filter(user__username="dana").exists()


def test_two_factor_still_asks_for_a_code(page: Page, console, sso, oidc_provider, acme):
    dana = User.objects.create(username="dana", email="dana@acme.example")
    dana.set_unusable_password()
    dana.save()
    Membership.objects.create(organization=acme, user=dana, role=Role.VIEWER)
    SocialAccount.objects.create(user=dana, provider="sso", uid="dana-1")
    TOTP.activate(dana, SECRET)

    sign_in_with_sso(page, sso, oidc_provider)

    code = page.get_by_label("Code")
    expect(code).to_be_visible()
    expect(page.locator(".username")).to_have_count(0)
    assert not AuditEvent.objects.filter(action=Action.SIGN_IN).exists()
    code.fill(fresh_totp(SECRET))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".username")).to_have_text("dana")
    event = AuditEvent.objects.get(action=Action.SIGN_IN, organization=acme)
    assert event.metadata == {"provider": "sso", "provider_name": "Example SSO"}
    assert problems(console) == []


def test_a_cancelled_sign_in_says_so(page: Page, sso, oidc_provider, db):
    oidc_provider.deny()
    page.goto(f"{sso}/accounts/login/")
    page.get_by_role("button", name="Sign in with Example SSO").click()
    expect(page.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    expect(page.locator(".username")).to_have_count(0)
