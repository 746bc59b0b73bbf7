"""Dialog openers are buttons that say so, focus comes back to them, and the keyboard has a
way past the top bar (issue 10 item 4; DESIGN.md §12)."""

import re

import pytest
from playwright.sync_api import Page, expect

from keys.models import issue_api_key
from tests.browser.conftest import keys_tab_url, problems
from tests.browser.phone import signed_in

pytestmark = pytest.mark.browser

DIALOG = "dialog[data-modal][open]"


def opener(scope, name):
    """The button `name` in the page's main content (or in `scope`, a row)."""
    root = scope.locator("main") if isinstance(scope, Page) else scope
    button = root.get_by_role("button", name=name, exact=True)
    expect(button).to_have_attribute("aria-haspopup", "dialog")
    return button


def test_every_opener_is_a_button_that_gets_the_focus_back(
    page: Page, console, sign_in, alice, bob, development, api_key
):
    key, _ = api_key
    base = sign_in(alice)

    # New API Key: Close after the copy gives the focus back to it.
    page.goto(keys_tab_url(base, development))
    opener(page, "New API Key").click()
    dialog = page.locator(DIALOG)
    dialog.get_by_label("API Key Name").fill("focus")
    dialog.get_by_role("button", name="Create").click()
    close = dialog.get_by_role("button", name="Close")
    hint = dialog.get_by_text("Copy the key to continue")
    expect(hint).to_be_visible()
    expect(close).to_be_disabled()
    expect(close).to_have_accessible_description("Copy the key to continue")
    dialog.get_by_role("button", name="Copy").click()
    expect(hint).to_be_hidden()
    close.click()
    expect(opener(page, "New API Key")).to_be_focused()

    # A row's Revoke: Escape gives the focus back; once the key is revoked its button is
    # gone, and the focus rests on the main content.
    row = page.locator("#key-table tr", has_text="focus")
    opener(row, "Revoke").click()
    expect(page.locator(DIALOG).get_by_label("Reason")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("dialog[data-modal]")).to_have_count(0)
    expect(row.get_by_role("button", name="Revoke")).to_be_focused()
    row.get_by_role("button", name="Revoke").click()
    page.locator(DIALOG).get_by_label("Reason").fill("test")
    page.locator(DIALOG).get_by_role("button", name="Confirm revocation").click()
    expect(row.locator(".status")).to_have_text("revoked")
    expect(page.locator("#main")).to_be_focused()

    # Rotate: Cancel gives the focus back.
    page.goto(f"{base}/keys/{key.public_id}/")
    opener(page, "Rotate").click()
    page.locator(DIALOG).get_by_role("button", name="Cancel").click()
    expect(opener(page, "Rotate")).to_be_focused()

    # Add member and Remove, on the members page.
    page.goto(f"{base}/members/")
    opener(page, "Add member").click()
    expect(page.locator(DIALOG).get_by_label("Username")).to_be_focused()
    page.locator(DIALOG).get_by_role("button", name="Cancel").click()
    expect(opener(page, "Add member")).to_be_focused()
    bobs_row = page.locator("tr[data-member=bob]")
    opener(bobs_row, "Remove").click()
    expect(page.locator(DIALOG)).to_contain_text("Remove bob")
    page.keyboard.press("Escape")
    expect(bobs_row.get_by_role("button", name="Remove")).to_be_focused()
    assert problems(console) == []


def test_the_password_dialog_says_why_close_waits(page: Page, console, sign_in, alice, acme):
    page.goto(f"{sign_in(alice)}/members/")
    opener(page, "Add member").click()
    dialog = page.locator(DIALOG)
    dialog.get_by_label("Username").fill("erin")
    dialog.get_by_role("button", name="Add member").click()
    hint = dialog.get_by_text("Copy the password to continue")
    expect(hint).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_disabled()
    dialog.get_by_role("button", name="Copy").click()
    expect(hint).to_be_hidden()
    dialog.get_by_role("button", name="Close").click()
    expect(opener(page, "Add member")).to_be_focused()
    assert problems(console) == []


def test_a_skip_link_leads_past_the_top_bar(page: Page, console, sign_in, alice, development):
    page.goto(keys_tab_url(sign_in(alice), development))
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the page, not the top bar
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert problems(console) == []


def test_openers_fall_back_to_full_pages_without_javascript(
    browser, live_server, transactional_db, alice, bob, development
):
    key, _ = issue_api_key(environment=development, name="nojs", by=alice)
    context = browser.new_context(java_script_enabled=False)
    try:
        base = live_server.url
        page = signed_in(context.new_page(), base, "alice")

        page.goto(keys_tab_url(base, development))
        page.get_by_role("button", name="New API Key").click()
        expect(page.get_by_role("heading", name="New API Key")).to_be_visible()
        expect(page).to_have_url(re.compile(re.escape(f"{keys_tab_url(base, development)}new/")))

        page.goto(f"{base}/quickstart/")
        page.get_by_role("button", name="New API Key").click()
        expect(page).to_have_url(f"{base}/keys/new/?environment={development.pk}")
        expect(page.get_by_label("Environment")).to_have_value(str(development.pk))

        page.goto(f"{base}/keys/{key.public_id}/")
        page.get_by_role("button", name="Rotate").click()
        expect(page.get_by_role("heading", name="Rotate nojs")).to_be_visible()

        page.goto(f"{base}/members/")
        page.get_by_role("button", name="Add member").click()
        expect(page.get_by_role("heading", name="Add member")).to_be_visible()
        page.goto(f"{base}/members/")
        page.locator("tr[data-member=bob]").get_by_role("button", name="Remove").click()
        expect(page.get_by_role("heading", name="Remove bob")).to_be_visible()
    finally:
        context.close()
