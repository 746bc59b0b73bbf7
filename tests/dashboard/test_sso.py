"""Single sign-on through a real OpenID Connect provider (tests/oidc_provider.py, its own
process): who gets in, which account they get, which organization they join, what is audited.

Django's test client plays the browser: it posts the sign-in, the provider's /authorize is
fetched over HTTP like a browser would, and its redirect comes back to Keydesk's callback,
which exchanges the code with the provider for real."""

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User

from audit.models import Action, AuditEvent
from environments.models import Membership, Role
from tests import server

pytestmark = pytest.mark.process

LOGIN = "/accounts/oidc/sso/login/"


@pytest.fixture
def sso(oidc_provider, settings):
    settings.SOCIALACCOUNT_PROVIDERS = oidc_provider.settings()
    return oidc_provider


def sign_in_with_sso(client, provider, **claims):
    """The whole round trip; Keydesk's answer to the provider's redirect."""
    if claims:
        provider.approve(**claims)
    started = client.post(LOGIN, {"process": "login"})
    assert started.status_code == 302, started.content
    assert started["Location"].startswith(f"{provider.url}/authorize?")
    status, headers, body = server.get(started["Location"])
    assert status == 302, body
    callback = urlsplit(headers["Location"])
    assert callback.path == "/accounts/oidc/sso/login/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def dana(**overrides):
    return {
        "sub": "dana-1",
        "email": "dana@acme.example",
        "email_verified": True,
        "preferred_username": "dana",
        "name": "Dana Scully",
        **overrides,
    }


def test_it_offers_the_configured_provider_on_the_sign_in_and_sign_up_pages(client, sso, db):
    for url in ("/accounts/login/", "/accounts/signup/"):
        page = client.get(url).content.decode()
        assert "Sign in with Example SSO" in page
        assert f'action="{LOGIN}?process=login"' in page


def test_it_offers_nothing_when_no_provider_is_configured(client, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.post(LOGIN, {"process": "login"}).status_code == 404
    assert client.post("/accounts/github/login/").status_code == 404


def test_a_verified_address_at_an_allowed_domain_joins_as_a_viewer(client, sso, acme):
    acme.allowed_email_domains = ["acme.example"]
    acme.save()

    response = sign_in_with_sso(client, sso, **dana())

    user = User.objects.get(username="dana")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role) == (acme, Role.VIEWER)
    assert not user.has_usable_password()
    added = AuditEvent.objects.get(action=Action.MEMBER_ADDED, organization=acme)
    assert added.metadata == {
        "username": "dana",
        "role": "viewer",
        "account": "single sign-on",
        "email_domain": "acme.example",
        "provider": "sso",
        "provider_name": "Example SSO",
    }
    signed_up = AuditEvent.objects.get(action=Action.SIGN_UP, actor_name="dana")
    assert signed_up.metadata == {"provider": "sso", "provider_name": "Example SSO"}
    assert client.get(response["Location"], follow=True).status_code == 200


def test_a_domain_no_organization_allows_joins_nothing(client, sso, acme):
    response = sign_in_with_sso(client, sso, **dana())

    user = User.objects.get(username="dana")
    assert not Membership.objects.filter(user=user).exists()
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 403
    assert "You are not in an organization yet" in page.content.decode()
    assert AuditEvent.objects.filter(action=Action.SIGN_UP, organization=None).exists()


def test_an_unverified_address_never_joins(client, sso, acme):
    acme.allowed_email_domains = ["acme.example"]
    acme.save()

    sign_in_with_sso(client, sso, **dana(email_verified=False))

    user = User.objects.get(username="dana")
    assert not Membership.objects.filter(user=user).exists()
    assert not EmailAddress.objects.get(user=user).verified


def test_closed_registration_lets_in_only_allowed_domains(client, sso, acme, settings):
    settings.REGISTRATION_OPEN = False

    refused = sign_in_with_sso(client, sso, **dana())
    assert "Sign-up is closed" in refused.content.decode()
    assert not User.objects.filter(username="dana").exists()

    acme.allowed_email_domains = ["acme.example"]
    acme.save()
    sign_in_with_sso(client, sso, **dana())
    assert Membership.objects.get(user__username="dana").organization == acme


def test_a_local_accounts_address_does_not_take_it_over(client, sso, bob):
    # bob@example.com is bob's, typed by an admin: never verified here.
    response = sign_in_with_sso(client, sso, **dana(email="bob@example.com", sub="evil"))

    assert response.status_code == 409
    page = response.content.decode()
    assert "An account already has this email address" in page
    assert "connect Example SSO" in page
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(email__iexact="bob@example.com").count() == 1
    bob.refresh_from_db()
    assert bob.has_usable_password()


def test_an_address_verified_on_both_sides_signs_in_to_its_account(client, sso, bob):
    EmailAddress.objects.create(user=bob, email="bob@example.com", verified=True, primary=True)

    sign_in_with_sso(client, sso, **dana(email="bob@example.com", sub="bob-sso"))

    assert int(client.session["_auth_user_id"]) == bob.pk
    assert SocialAccount.objects.get(uid="bob-sso").user == bob
    event = AuditEvent.objects.get(action=Action.SIGN_IN, actor_name="bob")
    assert event.metadata == {"provider": "sso", "provider_name": "Example SSO"}
    connected = AuditEvent.objects.get(action=Action.SSO_CONNECTED)
    assert (connected.actor_name, connected.metadata) == ("bob", {"provider": "sso"})


def test_a_returning_user_signs_in_and_it_is_audited(client, sso, acme):
    acme.allowed_email_domains = ["acme.example"]
    acme.save()
    sign_in_with_sso(client, sso, **dana())
    client.post("/accounts/logout/")

    sign_in_with_sso(client, sso, **dana())

    user = User.objects.get(username="dana")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Membership.objects.filter(user=user).count() == 1
    event = AuditEvent.objects.get(action=Action.SIGN_IN, organization=acme)
    assert event.metadata == {"provider": "sso", "provider_name": "Example SSO"}


def test_a_cancelled_sign_in_is_a_clear_page(client, sso, db):
    sso.deny()
    response = sign_in_with_sso(client, sso)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Sign-in cancelled" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_forged_code_is_a_clear_page(client, sso, db):
    sso.approve(**dana())
    started = client.post(LOGIN, {"process": "login"})
    state = dict(p.split("=") for p in urlsplit(started["Location"]).query.split("&"))["state"]
    response = client.get(f"/accounts/oidc/sso/login/callback/?code=forged&state={state}")
    assert response.status_code == 401
    assert "Sign-in with Example SSO failed" in response.content.decode()
    assert not User.objects.filter(username="dana").exists()


def test_an_unreachable_provider_is_a_clear_page(client, settings, db):
    unreachable = server.OidcProvider(f"http://127.0.0.1:{server.free_port()}")
    settings.SOCIALACCOUNT_PROVIDERS = unreachable.settings()
    response = client.post(LOGIN, {"process": "login"})
    assert response.status_code == 502
    assert "could not reach the sign-in provider" in response.content.decode()


def test_an_account_without_a_password_confirms_it_is_them_with_its_provider(
    client, sso, acme, alice
):
    acme.allowed_email_domains = ["acme.example"]
    acme.save()
    sign_in_with_sso(client, sso, **dana())
    dana_user = User.objects.get(username="dana")
    Membership.objects.filter(user=dana_user).update(role=Role.ADMIN)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 3600  # signed in an hour ago
    session.save()

    response = client.post(
        "/settings/", {"name": acme.name, "allowed_email_domains": "acme.example\nx.example"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Sign in again with Example SSO" in page
    assert f'action="{LOGIN}?process=login' in page

    sign_in_with_sso(client, sso)
    assert int(client.session["_auth_user_id"]) == dana_user.pk
    settings = {"name": acme.name, "allowed_email_domains": "x.example"}
    assert client.post("/settings/", settings).status_code == 302
    acme.refresh_from_db()
    assert acme.allowed_email_domains == ["x.example"]


def test_an_account_with_a_password_is_asked_for_it_as_before(client, alice, acme):
    client.force_login(alice)
    page = client.get("/accounts/reauthenticate/").content.decode()
    assert 'name="password"' in page
    assert "Sign in again with" not in page


def test_the_connections_page_removes_a_provider_and_it_is_recorded(client, sso, bob, acme):
    account = SocialAccount.objects.create(user=bob, provider="sso", uid="bob-sso")
    client.force_login(bob)
    session = client.session
    session["account_authentication_methods"][0]["reauthenticated"] = True  # allauth asks it
    session.save()
    page = client.get("/accounts/3rdparty/").content.decode()
    assert "Sign-in connections" in page
    assert "Connect Example SSO" in page

    response = client.post("/accounts/3rdparty/", {"account": account.pk})

    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    event = AuditEvent.objects.get(action=Action.SSO_DISCONNECTED, organization=acme)
    assert (event.actor_name, event.metadata) == ("bob", {"provider": "sso"})


def test_an_account_without_a_password_keeps_its_last_provider(client, sso, db):
    sign_in_with_sso(client, sso, **dana())
    account = SocialAccount.objects.get()
    response = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert "Your account has no password set up." in response.content.decode()
    assert SocialAccount.objects.exists()


def test_an_account_without_a_password_sets_up_two_factor_after_a_recent_sign_in(client, sso, db):
    sign_in_with_sso(client, sso, **dana())
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    assert "authenticator_secret" in page.content.decode()

    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 3600
    session.save()
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_an_account_without_a_password_sees_its_sessions_and_may_set_one(client, sso, db):
    sign_in_with_sso(client, sso, **dana())
    page = client.get("/accounts/password/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "You sign in through a sign-in provider and have no password." in text
    assert "Sign out everywhere else" in text

    form = client.get("/accounts/password/set/").content.decode()
    assert "Set a password" in form
    client.post(
        "/accounts/password/set/",
        {"password1": "a-long-new-pass-phrase", "password2": "a-long-new-pass-phrase"},
    )
    assert User.objects.get(username="dana").check_password("a-long-new-pass-phrase")
    event = AuditEvent.objects.get(action=Action.PASSWORD_CHANGED)
    assert (event.actor_name, event.metadata) == ("dana", {"set": True})
