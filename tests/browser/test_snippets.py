"""The first-request snippets: WAI-ARIA tabs driven by the keyboard, a copy button per panel,
and in the key-created dialog a snippet copy that does not stand in for the key's own Copy."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import KEY_PATTERN, problems, submit_sign_in

pytestmark = pytest.mark.browser


def clipboard(page: Page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_quickstart_tabs_by_keyboard_and_copy(page: Page, sign_in, alice, api_key, console):
    base = sign_in(alice)
    page.goto(f"{base}/quickstart/")
    tablist = page.get_by_role("tablist", name="First request in")
    tabs = tablist.get_by_role("tab")
    expect(tabs).to_have_text(["curl", "Python", "Node"])
    curl = tablist.get_by_role("tab", name="curl")
    expect(curl).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_have_count(1)  # the others are hidden

    curl.focus()
    page.keyboard.press("ArrowRight")
    python = tablist.get_by_role("tab", name="Python")
    expect(python).to_be_focused()
    expect(python).to_have_attribute("aria-selected", "true")
    expect(curl).to_have_attribute("aria-selected", "false")
    expect(curl).to_have_attribute("tabindex", "-1")
    panel = page.get_by_role("tabpanel", name="Python")
    expect(panel).to_contain_text("requests.get(")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # wraps from Node back to curl
    expect(curl).to_be_focused()
    page.keyboard.press("ArrowLeft")
    node = tablist.get_by_role("tab", name="Node")
    expect(node).to_be_focused()
    page.keyboard.press("Home")
    expect(curl).to_have_attribute("aria-selected", "true")
    page.keyboard.press("End")
    expect(node).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Tab")  # into the panel, which is focusable
    expect(page.get_by_role("tabpanel", name="Node")).to_be_focused()

    page.get_by_role("button", name="Copy Node").click()
    expect(page.get_by_role("tabpanel", name="Node")).to_contain_text("Copied to the clipboard.")
    copied = clipboard(page)
    assert copied.startswith(f'const response = await fetch("{base}/v1/auth/verify"')
    assert "process.env.KEYDESK_KEY" in copied
    python.click()
    page.get_by_role("button", name="Copy Python").click()
    assert "os.environ['KEYDESK_KEY']" in clipboard(page)
    assert problems(console) == []


def test_without_javascript_every_panel_shows(
    browser, live_server, transactional_db, alice, api_key
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    submit_sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/quickstart/")
    expect(page.get_by_role("tablist")).to_have_count(0)
    for title in ("curl", "Python", "Node"):
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(page.locator("[data-snippet]")).to_have_count(3)
    for snippet in page.locator("[data-snippet]").all():
        expect(snippet).to_be_visible()
    context.close()


def test_the_dialog_snippets_hold_the_key_and_leave_close_to_its_own_copy(
    page: Page, sign_in, alice, development, console
):
    base = sign_in(alice)
    page.goto(f"{base}/projects/billing-api/environments/development/keys/")
    page.get_by_role("button", name="New API Key").click()
    page.get_by_label("API Key Name").fill("snippets")
    page.get_by_role("button", name="Create").click()
    dialog = page.get_by_role("dialog")
    key = dialog.locator("input[data-secret]").input_value()
    assert KEY_PATTERN.fullmatch(key)

    dialog.get_by_text("Make a first request with this key").click()
    dialog.get_by_role("tab", name="Python").click()
    dialog.get_by_role("button", name="Copy Python").click()
    expect(dialog.get_by_role("tabpanel", name="Python")).to_contain_text("Copied")
    assert f'"Bearer {key}"' in clipboard(page)
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_disabled()  # a snippet goes to a shell, not a safe: Copy the key
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()

    dialog.get_by_role("button", name="Copy", exact=True).click()
    assert clipboard(page) == key
    expect(close).to_be_enabled()
    close.click()
    expect(page.locator("dialog")).to_have_count(0)  # removed, snippets and key with it
    assert key not in page.content()
    assert problems(console) == []


def test_the_chosen_tab_and_the_focus_outlive_the_quickstart_polling(
    page: Page, sign_in, alice, api_key, console
):
    base = sign_in(alice)
    page.goto(f"{base}/quickstart/")
    expect(page.locator(".step").nth(3)).to_contain_text("Waiting for the first request")
    node = page.get_by_role("tab", name="Node")
    node.click()
    expect(node).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/quickstart/")):  # one poll (every 3 s)
        pass
    page.wait_for_timeout(200)  # the swap and settle after the answer
    expect(node).to_have_attribute("aria-selected", "true")
    expect(node).to_be_focused()
    expect(page.get_by_role("tabpanel")).to_have_count(1)
    expect(page.get_by_role("tabpanel", name="Node")).to_be_visible()
    assert problems(console) == []
