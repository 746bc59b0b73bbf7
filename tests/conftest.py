"""Personas and tenants shared by every test module.

alice is an admin of Acme, bob a member, victor a viewer; charlie is an admin of Globex, the
organization next door, and must never see anything of Acme's.
"""

import functools
import os
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.cache import cache

from audit.models import chain_ids, verify_chain
from environments.models import (
    Membership,
    Role,
    create_environment,
    create_organization,
    create_project,
)
from keys.models import issue_api_key
from tests import server

# pytest-playwright runs an event loop in the main thread; Django refuses sync ORM calls
# there unless told that this is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


BROWSER_DIR = Path(__file__).parent / "browser"
BROWSER_FIXTURES = {"page", "browser", "context"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(config, items):
    """Browser tests live in tests/browser/, marked `browser`, so `-m "not browser"` and
    `make test-fast` leave out every one of them and no other test."""
    misplaced = []
    for item in items:
        in_browser_dir = BROWSER_DIR in item.path.parents
        drives_chromium = BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
        marked = item.get_closest_marker("browser") is not None
        if in_browser_dir != marked or (drives_chromium and not in_browser_dir):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(
            "browser tests (the `page` or `browser` fixture) belong in tests/browser/ under"
            " `pytestmark = pytest.mark.browser`, and nothing else does:\n  "
            + "\n  ".join(misplaced)
        )


def pytest_runtest_setup(item):
    # tests/server.py starts gunicorn and Redis only for tests marked `process`.
    server.processes_allowed = item.get_closest_marker("process") is not None


@functools.cache
def fast_hash():
    return make_password(PASSWORD, hasher="md5")


@pytest.fixture(autouse=True)
def audit_chains_hold(request):
    """Every event a test writes, through whatever path, must leave every chain intact.

    Tests that alter the audit table by hand on purpose are marked `tampers_with_audit`."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if not (names & {"db", "transactional_db", "live_server"} or marker) or (
        request.node.get_closest_marker("tampers_with_audit")
    ):
        yield
        return
    # Set the database up before this fixture, so it is still there at this one's teardown.
    transactional = names & {"transactional_db", "live_server"} or (
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    for organization_id in chain_ids():
        assert verify_chain(organization_id) is None


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit and usage counters start from nothing in every test."""
    cache.clear()
    yield
    cache.clear()


def make_user(username):
    return User.objects.create(
        username=username, email=f"{username}@example.com", password=fast_hash()
    )


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def acme(alice):
    return create_organization(name="Acme", admin=alice)


def join(organization, username, role):
    user = make_user(username)
    Membership.objects.create(organization=organization, user=user, role=role)
    return user


@pytest.fixture
def bob(acme):
    return join(acme, "bob", Role.MEMBER)


@pytest.fixture
def victor(acme):
    return join(acme, "victor", Role.VIEWER)


@pytest.fixture
def charlie(db):
    return make_user("charlie")


@pytest.fixture
def globex(charlie):
    return create_organization(name="Globex", admin=charlie)


@pytest.fixture
def project(acme, alice):
    return create_project(organization=acme, name="Billing API", by=alice)


@pytest.fixture
def development(project, alice):
    return create_environment(project=project, name="development", by=alice)


@pytest.fixture
def production(project, alice):
    return create_environment(project=project, name="production", is_production=True, by=alice)


@pytest.fixture
def globex_environment(globex, charlie):
    project = create_project(organization=globex, name="Secret Project", by=charlie)
    return create_environment(project=project, name="production", is_production=True, by=charlie)


@pytest.fixture
def api_key(development, alice):
    """(key, plaintext) of a read-only key in Acme's development environment."""
    return issue_api_key(environment=development, name="CI deploys", by=alice)


@pytest.fixture
def htmx():
    """Headers that make a test-client request look like htmx's."""
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "permissions": ["clipboard-read", "clipboard-write"]}
