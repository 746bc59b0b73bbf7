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

from keys.models import issue_api_key

# Who may use each pattern: "public" (no sign-in), "signed-in" (any account, in an organization
# or not), "viewer", "member" (creates keys),
# "own" (a member on their own key, an admin on any), "admin", or "api" (a Bearer key).
ACCESS = {
    "livez": "public",
    "readyz": "public",
    "v1:openapi-json": "public",
    "v1:openapi-view": "public",
    "v1:api-root": "api",
    "verify": "api",
    "v1:verify_key": "api",
    "v1:create_key": "api",
    "v1:list_keys": "api",
    "v1:get_key": "api",
    "v1:patch_key": "api",
    "v1:delete_key": "api",
    "v1:rotate_key": "api",
    "dashboard:login": "public",
    "dashboard:signup": "public",
    "dashboard:logout": "public",
    "dashboard:password_change": "signed-in",
    "dashboard:home": "viewer",
    "dashboard:quickstart": "viewer",
    "dashboard:quickstart_project": "member",
    "dashboard:quickstart_environment": "member",
    "dashboard:project_rename": "member",
    "dashboard:project_archive": "admin",
    "dashboard:environment_rename": "member",
    "dashboard:environment_archive": "admin",
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
    "keys:admin": "admin",
    "keys:revoke": "member",
    "keys:detail": "viewer",
    "keys:edit": "own",
    "keys:rotate": "own",
    "audit:review": "admin",
    "audit:verify": "admin",
    "audit:export_csv": "admin",
    "audit:export_jsonl": "admin",
}
RANK = {"viewer": 0, "member": 1, "admin": 2}


def patterns(resolver=None, namespace=None):
    """(name, URL parameters) of every pattern, namespaces included."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from patterns(entry, inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, tuple(sorted(getattr(entry.pattern, "converters", {})))


ALL = sorted(set(patterns()))


def test_every_pattern_has_a_declared_access():
    undeclared = [name for name, _ in ALL if name not in ACCESS]
    assert undeclared == [], f"declare who may use these in ACCESS: {undeclared}"
    stale = set(ACCESS) - {name for name, _ in ALL}
    assert stale == set(), f"ACCESS names patterns that no longer exist: {stale}"


@pytest.fixture
def world(alice, bob, victor, charlie, globex, development):
    """Acme's objects, named by the URL parameters that reach them."""
    key, _ = issue_api_key(environment=development, name="alice's key", by=alice)
    return {
        "slug": development.project.slug,
        "project_slug": development.project.slug,
        "environment_slug": development.slug,
        "key_id": key.public_id,
        "membership_id": bob.memberships.get().pk,
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
    if access == "own":  # the fixture's key is alice's: an admin may, a member may not
        return role == "admin"
    return RANK[role] >= RANK[access]


PERSONAS = {"admin": "alice", "member": "bob", "viewer": "victor"}
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
            assert status not in (403, 404, 500), f"{role} on {url}: {status}"
        else:
            assert status == 403, f"{role} on {url}: {status}, expected 403"

    client.force_login(request.getfixturevalue("charlie"))
    status = fetch(client, url).status_code
    if params:
        assert status == 404, f"outsider on {url}: {status}, expected 404"
    else:
        assert status not in (404, 500), f"outsider on {url}: {status}"
