"""Personas and tenants shared by every test module.

alice is an admin of Acme, mia a manager, bob a member, victor a viewer; charlie is an admin
of Globex, the organization next door, and must never see anything of Acme's.
"""

import functools
import os
import time
from pathlib import Path

import django.test
import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.cache import cache

from audit.chain import chain_ids, verify_chain
from environments.models import (
    Membership,
    Role,
    create_environment,
    create_organization,
    create_project,
)
from keys.counters import counters
from keys.models import issue_api_key
from keys.verification import side_writes
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


def bearer(key, **headers):
    """A test client's request keywords that send `key` as the bearer (and `headers`)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", **headers}


class Client(django.test.Client):
    """`force_login` as a sign-in a moment ago: allauth keeps the time of each sign-in in the
    session, and sensitive actions ask for one under REAUTHENTICATION_TIMEOUT seconds old."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        session = self.session
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "username": user.get_username()}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()


@pytest.fixture
def client():
    return Client()


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


@pytest.fixture(scope="module")
def oidc_provider():
    """tests/oidc_provider.py in its own process, once a module (for tests marked `process`)."""
    with server.oidc_provider() as provider:
        yield provider


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
    counters.reset()
    side_writes.paused_until = None
    yield
    cache.clear()
    counters.reset()
    side_writes.paused_until = None


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
def mia(acme):
    """A manager of Acme: every key, but not its members or its audit log."""
    return join(acme, "mia", Role.MANAGER)


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
