"""The role matrix of DESIGN.md section 7, walked over every URL pattern of the project.

Each pattern must be listed in ACCESS with who may use it; a new view that is not listed
fails this test, so no view ships without someone deciding (and testing) its access. For every
pattern, every role and an outsider from another organization:
- a role below the requirement gets 403, never 200, 404 or 500;
- a role that meets it gets no 403, 404 or 500;
- the outsider gets 404 for anything that names Acme's objects;
- an anonymous visitor is sent to sign in (or, on the key-authenticated API, gets 401).
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from audit.models import Webhook, WebhookDelivery
from keys.models import issue_api_key

# Who may use each pattern: "public" (no sign-in), "signed-in" (any account, in an organization
# or not), "viewer", "member" (creates keys), "manager" (every key of the organization),
# "own" (a member on their own key, a manager or admin on any), "admin", "api" (a Bearer key),
# or "closed" (turned off in this deployment: 403 for everyone signed in).
ACCESS = {
    "livez": "public",
    "readyz": "public",
    "v1:openapi-json": "public",
    "v1:openapi-view": "public",
    "v1:api-root": "api",
    "v1_not_found": "public",
    "verify": "api",
    "v1:verify_key": "api",
    "v1:create_key": "api",
    "v1:list_keys": "api",
    "v1:get_key": "api",
    "v1:patch_key": "api",
    "v1:delete_key": "api",
    "v1:rotate_key": "api",
    "v1:revoke_credentials": "public",
    "v1:github_secret_scanning": "public",
    "dashboard:login": "public",
    "dashboard:signup": "public",
    "dashboard:logout": "public",
    "dashboard:password_change": "signed-in",
    "dashboard:password_reset": "public",
    "dashboard:email": "signed-in",
    "dashboard:reauthenticate": "signed-in",
    # django-allauth's own pages (sign-in flows public, account pages for any signed-in user).
    "account_login": "public",
    "account_logout": "public",
    "account_inactive": "public",
    "account_signup": "public",
    "account_reauthenticate": "signed-in",
    # Re-authentication by a code sent by email: Keydesk sends none (REAUTHENTICATION_METHODS).
    "account_request_reauthentication_code": "closed",
    "account_confirm_reauthentication_code": "closed",
    "account_email": "signed-in",
    "account_email_verification_sent": "public",
    "account_change_password": "signed-in",
    "account_set_password": "signed-in",
    "account_reset_password": "public",
    "account_confirm_login_code": "public",
    "account_confirm_email": "public",
    "account_reset_password_from_key_done": "public",
    "account_reset_password_from_key": "public",
    "account_reset_password_done": "public",
    "mfa_index": "signed-in",
    "mfa_authenticate": "public",
    "mfa_reauthenticate": "signed-in",
    "mfa_activate_totp": "signed-in",
    "mfa_deactivate_totp": "signed-in",
    "mfa_view_recovery_codes": "signed-in",
    "mfa_generate_recovery_codes": "signed-in",
    "mfa_download_recovery_codes": "signed-in",
    "mfa_list_webauthn": "signed-in",
    "mfa_add_webauthn": "signed-in",
    "mfa_reauthenticate_webauthn": "signed-in",
    "mfa_remove_webauthn": "signed-in",
    "mfa_edit_webauthn": "signed-in",
    "mfa_login_webauthn": "public",
    "usersessions_list": "signed-in",
    "socialaccount_login_cancelled": "public",
    "socialaccount_login_error": "public",
    "socialaccount_signup": "public",
    "socialaccount_connections": "signed-in",
    # Single sign-on: each provider's start and its return from the provider (a 404 while the
    # provider is not configured, as here).
    "github_login": "public",
    "github_callback": "public",
    "google_login": "public",
    "google_callback": "public",
    "google_login_by_token": "public",
    "gitlab_login": "public",
    "gitlab_callback": "public",
    "openid_connect_login": "public",
    "openid_connect_callback": "public",
    # allauth's redirects from its old URLs to the ones above (unnamed).
    "accounts/social/login/cancelled/": "public",
    "accounts/social/login/error/": "public",
    "accounts/social/signup/": "public",
    "accounts/social/connections/": "public",
    "dashboard:settings": "admin",
    "dashboard:home": "viewer",
    "dashboard:quickstart": "viewer",
    "dashboard:quickstart_project": "member",
    "dashboard:quickstart_environment": "member",
    "dashboard:project_rename": "member",
    "dashboard:project_archive": "admin",
    "dashboard:environment_rename": "member",
    "dashboard:environment_archive": "admin",
    "dashboard:environment_tags": "member",
    "dashboard:members": "admin",
    "dashboard:member_add": "admin",
    "dashboard:member_role": "admin",
    "dashboard:member_remove": "admin",
    "environments:projects": "viewer",
    "environments:project": "viewer",
    "environments:environment_create": "member",
    "environments:switch_organization": "viewer",
    "keys:environment": "viewer",
    "keys:create": "member",
    "keys:create_any": "member",
    "keys:admin": "manager",
    "keys:revoke": "member",
    "keys:detail": "viewer",
    "keys:edit": "own",
    "keys:rotate": "own",
    "keys:playground": "viewer",
    "audit:review": "admin",
    "audit:verify": "admin",
    "audit:export_csv": "admin",
    "audit:export_jsonl": "admin",
    "webhooks:list": "manager",
    "webhooks:create": "manager",
    "webhooks:detail": "manager",
    "webhooks:redeliver": "manager",
}
# Pages about a second factor the persona has not set up: allauth answers 404 for them.
ABOUT_A_MISSING_FACTOR = {
    "mfa_deactivate_totp",
    "mfa_remove_webauthn",  # the persona's passkey `pk` (none: see `world`)
    "mfa_edit_webauthn",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
}
RANK = {"viewer": 0, "member": 1, "manager": 2, "admin": 3}


def converters(entry):
    return set(getattr(entry.pattern, "converters", {}))


def patterns(resolver=None, namespace=None, prefix="", outer=frozenset()):
    """(name, URL parameters) of every pattern, namespaces and the parameters of enclosing
    includes included; an unnamed pattern goes by its path."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from patterns(
                entry, inner, prefix + str(entry.pattern), outer | converters(entry)
            )
        elif entry.name is None:
            yield prefix + str(entry.pattern), ()
        else:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, tuple(sorted(outer | converters(entry)))


ALL = sorted(set(patterns()))


def test_every_pattern_has_a_declared_access():
    undeclared = [name for name, _ in ALL if name not in ACCESS]
    assert undeclared == [], f"declare who may use these in ACCESS: {undeclared}"
    stale = set(ACCESS) - {name for name, _ in ALL}
    assert stale == set(), f"ACCESS names patterns that no longer exist: {stale}"


@pytest.fixture
def world(alice, mia, bob, victor, charlie, globex, development):
    """Acme's objects, named by the URL parameters that reach them."""
    key, _ = issue_api_key(environment=development, name="alice's key", by=alice)
    webhook = Webhook.objects.create(
        organization=development.project.organization, url="https://hooks.example/", secret="s"
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, message_id="msg_matrix", event_type="key.created", payload={}
    )
    return {
        "webhook_id": webhook.pk,
        "delivery_id": delivery.pk,
        "slug": development.project.slug,
        "project_slug": development.project.slug,
        "environment_slug": development.slug,
        "key_id": key.public_id,
        "membership_id": bob.memberships.get().pk,
        "pk": 2**31 - 1,  # a passkey nobody has
    }


def fetch(client, url):
    """GET, or for a POST-only view an empty POST (the view must still check access)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def expectation(access, role):
    """True if `role` may use a pattern that needs `access`."""
    if access == "signed-in":
        return True
    if access == "closed":
        return False
    if access == "own":  # the fixture's key is alice's: an admin or manager may, a member not
        return RANK[role] >= RANK["manager"]
    return RANK[role] >= RANK[access]


PERSONAS = {"admin": "alice", "manager": "mia", "member": "bob", "viewer": "victor"}
CHECKED = [(name, params) for name, params in ALL if ACCESS.get(name) not in (None, "public")]


@pytest.mark.parametrize(("name", "params"), CHECKED, ids=[name for name, _ in CHECKED])
def test_the_role_matrix_holds(client, world, name, params, request):
    url = reverse(name, kwargs={p: world[p] for p in params})
    access = ACCESS[name]

    response = fetch(client, url)
    if access == "api":
        assert response.status_code in (401, 404), f"anonymous {url}: {response.status_code}"
        return
    assert response.status_code == 302, f"anonymous {url}: {response.status_code}"
    assert response["Location"].startswith("/accounts/login/")

    for role, persona in PERSONAS.items():
        client.force_login(request.getfixturevalue(persona))
        status = fetch(client, url).status_code
        if expectation(access, role):
            allowed = (403, 500) if name in ABOUT_A_MISSING_FACTOR else (403, 404, 500)
            assert status not in allowed, f"{role} on {url}: {status}"
        else:
            assert status == 403, f"{role} on {url}: {status}, expected 403"

    client.force_login(request.getfixturevalue("charlie"))
    status = fetch(client, url).status_code
    if params:
        # allauth asks for the password again before it looks the passkey up.
        allowed = (302, 404) if name in ABOUT_A_MISSING_FACTOR else (404,)
        assert status in allowed, f"outsider on {url}: {status}, expected 404"
    else:
        allowed = (500,) if name in ABOUT_A_MISSING_FACTOR else (404, 500)
        assert status not in allowed, f"outsider on {url}: {status}"
