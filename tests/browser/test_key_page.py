"""A key's page tells the truth at once after Revoke and Rotate (issue 10 item 1): the
status, the successor and the actions still offered, without a reload."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import copy_and_close, problems

pytestmark = pytest.mark.browser


def actions(page: Page):
    return page.locator("#key-page .toolbar .actions")


def copy_the_new_key(page: Page):
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Store this private key securely")
    copy_and_close(page, dialog)


def test_rotate_then_revoke_show_the_new_state_at_once(
    page: Page, console, sign_in, alice, api_key
):
    key, _ = api_key
    base = sign_in(alice)
    page.goto(f"{base}/keys/{key.public_id}/")
    page.evaluate("window.__marker = 1")
    status = page.locator("#key-page .facts .status")
    expect(status).to_have_text("active")

    # Rotate with a grace window: still active, but rotated, and not rotatable again.
    actions(page).get_by_role("button", name="Rotate").click()
    form = page.locator("dialog[data-modal][open]")
    form.get_by_label("Old key stops").select_option(label="In 1 hour")
    form.get_by_role("button", name="Rotate").click()
    copy_the_new_key(page)
    expect(page.locator("#key-page .facts")).to_contain_text(
        re.compile(r"expires in 59\s+minutes \(rotated\)")
    )
    expect(page.locator("#key-page .facts")).to_contain_text("Replaced by")
    expect(actions(page).get_by_role("button", name="Rotate")).to_have_count(0)
    expect(page.locator("#main")).to_be_focused()  # its opener is gone: not the page body
    expect(page.locator("#key-page .timeline")).to_contain_text("Key rotated")

    # Revoke: the status reads revoked and nothing is offered any more.
    actions(page).get_by_role("button", name="Revoke").click()
    dialog = page.locator("dialog[data-modal][open]")
    dialog.get_by_label("Reason").fill("leaked")
    dialog.get_by_role("button", name="Confirm revocation").click()
    expect(page.locator("#flash [role=status]")).to_have_text("Revoked 1 key.")
    expect(status).to_have_text("revoked")
    expect(page.locator("#key-page .facts")).to_contain_text("leaked")
    expect(page.locator("#key-page").get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.locator("#key-page").get_by_role("button")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1  # no reload: the page redrew itself
    assert problems(console) == []


def test_rotating_immediately_shows_the_key_revoked(page: Page, console, sign_in, alice, api_key):
    key, _ = api_key
    page.goto(f"{sign_in(alice)}/keys/{key.public_id}/")
    actions(page).get_by_role("button", name="Rotate").click()
    page.locator("dialog[data-modal][open]").get_by_role("button", name="Rotate").click()
    copy_the_new_key(page)
    expect(page.locator("#key-page .facts .status")).to_have_text("revoked")
    expect(page.locator("#key-page").get_by_role("button")).to_have_count(0)
    expect(page.locator("#key-page").get_by_role("link", name="Edit")).to_have_count(0)
    assert problems(console) == []
