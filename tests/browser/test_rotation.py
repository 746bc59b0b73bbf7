"""Rotating a key from its page, in a real Chromium: the grace window, then the new key
behind the same copy gate as a newly created one (DESIGN.md §4)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from keys.models import ApiKey
from tests.browser.conftest import KEY_PATTERN, copy_and_close, in_html, problems, verify

pytestmark = pytest.mark.browser


def rotate(page: Page, old_key_stops):
    """On a key's page: `Rotate`, choose when the old key stops, `Rotate`; returns the locked
    secret dialog."""
    page.get_by_role("button", name="Rotate").click()
    form = page.locator("dialog[data-modal][open]")
    expect(form.get_by_role("heading")).to_contain_text("Rotate")
    form.get_by_label("Old key stops").select_option(label=old_key_stops)
    form.get_by_role("button", name="Rotate").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Store this private key securely")
    return dialog


def test_rotation_with_a_grace_window_then_immediately(
    page: Page, console, sign_in, alice, api_key
):
    old, old_plaintext = api_key
    base = sign_in(alice)
    page.goto(f"{base}/keys/{old.public_id}/")
    expect(page.locator(".facts .status")).to_have_text("active")

    dialog = rotate(page, "In 1 hour")

    page.wait_for_selector("dialog[data-locked]", state="attached")
    expect(dialog).to_have_attribute("closedby", "none")
    secret = dialog.locator("input[data-secret]")
    expect(secret).to_have_attribute("readonly", "")
    new_plaintext = secret.input_value()
    assert KEY_PATTERN.fullmatch(new_plaintext), new_plaintext
    assert new_plaintext.startswith("kd_test_") and new_plaintext != old_plaintext
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_disabled()
    for _ in range(3):
        page.keyboard.press("Escape")
    page.mouse.click(5, 5)  # the backdrop
    close.click(force=True)
    expect(dialog).to_be_visible()
    expect(close).to_be_disabled()
    assert in_html(page, new_plaintext)  # (so that the check after Close can fail)

    dialog.get_by_role("button", name="Copy").click()
    expect(close).to_be_enabled()
    assert page.evaluate("navigator.clipboard.readText()") == new_plaintext
    close.click()

    expect(page.locator("dialog[data-modal]")).to_have_count(0)
    assert not in_html(page, new_plaintext)
    # Both work during the grace window.
    assert verify(page, base, old_plaintext) == (200, None)
    assert verify(page, base, new_plaintext) == (200, None)
    old.refresh_from_db()
    new = ApiKey.objects.get(rotated_from=old)
    assert timedelta(minutes=59) < old.revoked_at - timezone.now() <= timedelta(hours=1)
    assert (new.name, new.environment, new.permissions) == (
        old.name,
        old.environment,
        old.permissions,
    )

    page.reload()
    status = page.locator(".facts dd").filter(has=page.locator(".status"))
    expect(status.locator(".status")).to_have_text("active")
    expect(status).to_contain_text(re.compile(r"expires in 59\s+minutes \(rotated\)"))
    expect(page.locator(".facts")).to_contain_text(f"Replaced by{new.hint}")
    expect(page.get_by_role("button", name="Rotate")).to_have_count(0)  # rotated once only

    # The successor, rotated at once: it stops on the spot.
    page.get_by_role("link", name=new.hint).click()
    expect(page.locator("h1")).to_contain_text(new.hint)
    dialog = rotate(page, "Immediately")
    newest_plaintext = dialog.locator("input[data-secret]").input_value()
    assert KEY_PATTERN.fullmatch(newest_plaintext)
    copy_and_close(page, dialog)

    assert verify(page, base, new_plaintext) == (401, "revoked_api_key")
    assert verify(page, base, newest_plaintext) == (200, None)
    assert verify(page, base, old_plaintext) == (200, None)  # its own grace window goes on
    page.reload()
    expect(page.locator(".facts .status")).to_have_text("revoked")
    expect(page.locator(".facts")).not_to_contain_text("expires in")
    assert problems(console) == []


def test_cancelling_a_rotation_changes_nothing(page: Page, console, sign_in, alice, api_key):
    old, old_plaintext = api_key
    base = sign_in(alice)
    page.goto(f"{base}/keys/{old.public_id}/")
    page.get_by_role("button", name="Rotate").click()
    form = page.locator("dialog[data-modal][open]")
    expect(form.get_by_label("Old key stops")).to_have_value("0")  # Immediately, by default
    form.get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog[data-modal]")).to_have_count(0)
    # The page can open it again (the modal container survived the first one).
    page.get_by_role("button", name="Rotate").click()
    expect(page.locator("dialog[data-modal][open]")).to_contain_text("Old key stops")
    page.keyboard.press("Escape")
    expect(page.locator("dialog[data-modal]")).to_have_count(0)

    assert ApiKey.objects.count() == 1
    old.refresh_from_db()
    assert old.revoked_at is None
    assert verify(page, base, old_plaintext) == (200, None)
    assert problems(console) == []
