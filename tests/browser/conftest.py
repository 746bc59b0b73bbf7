"""Browser-only fixtures: a live server, a signed-in Chromium page, and a console watch.

The personas come from tests/conftest.py; the live server runs in another thread, so the
database is transactional (each persona is committed before the browser asks for it).
"""

import contextlib
import re
import threading
import time

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

KEY_PATTERN = re.compile(r"kd_(live|test)_[0-9A-Za-z]{46}")
# Fast failures: a broken flow should cost seconds, not the 30 s Playwright default.
TIMEOUT_MS = 5_000


class InFlight:
    """How many requests the live server is answering right now (its threads send Django's
    request_started and request_finished)."""

    def __init__(self):
        self.count, self.lock = 0, threading.Lock()
        request_started.connect(self.started, weak=False)
        request_finished.connect(self.finished, weak=False)

    def started(self, **kwargs):
        with self.lock:
            self.count += 1

    def finished(self, **kwargs):
        with self.lock:
            self.count -= 1

    def wait_for_none(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while self.count > 0 and time.monotonic() < deadline:
            time.sleep(0.01)


in_flight = InFlight()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):
    """Send the test's pages to about:blank, and let the live server finish what they asked,
    before any fixture goes: a page still polling (the quickstart's step 4) would otherwise
    hold a table lock while the transactional database is flushed, and PostgreSQL ends one as
    a deadlock. (Pages stay open: fixtures may still talk to them, e.g. over CDP.)"""
    page = getattr(item, "funcargs", {}).get("page")
    if page is not None:
        for context in page.context.browser.contexts:
            for open_page in context.pages:
                with contextlib.suppress(PlaywrightError):
                    open_page.goto("about:blank")
        in_flight.wait_for_none()
    yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 costs ~0.7 s a hash here, twice per test (persona, sign-in): hashing is not
    what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def console(page: Page):
    """Every console message and uncaught error of the page, as text, in order."""
    messages = []

    def on_console(message):
        url = message.location.get("url", "")
        messages.append(f"{message.type}: {message.text}" + (f" ({url})" if url else ""))

    page.on("console", on_console)
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def problems(messages):
    """The console lines that mean something went wrong: errors and CSP violations."""
    return [
        line
        for line in messages
        if line.startswith(("error:", "pageerror:")) or "Content Security Policy" in line
    ]


@pytest.fixture
def base_url_live(page: Page, live_server, transactional_db, console):
    """The live server's URL, for a page with short timeouts and a console watch."""
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return live_server.url


def only_the_expected_422(messages):
    """problems(), less the one line Chromium logs for an intended 422 (a refused form)."""
    return [
        line
        for line in problems(messages)
        if not (line.startswith("error: Failed to load resource") and "422" in line)
    ]


def submit_sign_in(page: Page, base_url, username, password=PASSWORD):
    """Send the sign-in form as `username`; what should follow is the caller's to expect."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def signed_in(page: Page, base_url, username) -> Page:
    """`page` (of this test's context, or of one of its own) signed in as `username`."""
    page.set_default_timeout(TIMEOUT_MS)
    submit_sign_in(page, base_url, username)
    expect(page.locator(".username")).to_have_text(username)
    return page


@pytest.fixture
def sign_in(page: Page, base_url_live):
    """sign_in(user): signs `user` in through the form; returns the live server's URL."""

    def sign_in(user):
        signed_in(page, base_url_live, user.get_username())
        return base_url_live

    return sign_in


def keys_tab_url(base_url, environment):
    return f"{base_url}/projects/{environment.project.slug}/environments/{environment.slug}/keys/"


def create_key(page: Page, name, *, write=False):
    """Open `New API Key`, fill the form, submit; returns the locked secret dialog."""
    page.get_by_role("button", name="New API Key").click()
    form_dialog = page.locator("dialog[data-modal][open]")
    expect(form_dialog).to_be_visible()
    form_dialog.get_by_label("API Key Name").fill(name)
    if write:
        form_dialog.get_by_label("Write").check()
    form_dialog.get_by_role("button", name="Create").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Store this private key securely")
    return dialog


def copy_and_close(page: Page, dialog=None):
    """Through the copy gate of the open secret dialog: `Copy`, then `Close`; it is gone."""
    dialog = dialog or page.locator("dialog[data-modal][open]")
    dialog.get_by_role("button", name="Copy").click()
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("dialog[data-modal]")).to_have_count(0)


def verify(page: Page, base_url, plaintext):
    """(status, error code or None) of GET /v1/auth/verify with `plaintext` as the bearer."""
    response = page.request.get(
        f"{base_url}/v1/auth/verify", headers={"Authorization": f"Bearer {plaintext}"}
    )
    return response.status, (response.json().get("error") or {}).get("code")


def in_html(page: Page, text):
    """Whether `text` appears anywhere in the page's serialised DOM (attributes included)."""
    return text in page.content()
