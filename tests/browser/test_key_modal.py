"""The `New API Key` modal of an environment's keys tab, in a real Chromium (DESIGN.md §4)."""

import pytest
from playwright.sync_api import Page, expect

from keys.models import ApiKey
from tests.browser.conftest import KEY_PATTERN, create_key, in_html, keys_tab_url, problems

pytestmark = pytest.mark.browser


def hint(key):
    return f"{key[:12]}…{key[-4:]}"


def test_close_is_disabled_until_the_key_is_copied(
    page: Page, console, sign_in, alice, development
):
    page.goto(keys_tab_url(sign_in(alice), development))
    dialog = create_key(page, "Deploy bot", write=True)

    secret = dialog.locator("input[data-secret]")
    close = dialog.get_by_role("button", name="Close")
    expect(secret).to_have_attribute("readonly", "")
    expect(close).to_be_disabled()
    expect(dialog.locator("[data-permissions]")).to_have_text("Read Write")
    key = secret.input_value()
    assert KEY_PATTERN.fullmatch(key), key
    assert key.startswith("kd_test_")
    close.click(force=True)  # a disabled button does nothing, however hard it is clicked
    expect(dialog).to_be_visible()

    dialog.get_by_role("button", name="Copy").click()

    expect(close).to_be_enabled()
    expect(dialog.locator("[data-copy-status]")).to_contain_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert KEY_PATTERN.fullmatch(copied), copied
    assert copied == key
    assert problems(console) == []


def test_escape_and_backdrop_do_not_close_an_uncopied_key(
    page: Page, console, sign_in, alice, development
):
    page.goto(keys_tab_url(sign_in(alice), development))
    page.get_by_role("button", name="New API Key").click()
    page.get_by_label("API Key Name").fill("Impatient")
    page.get_by_role("button", name="Create").click()
    # Escape from the very first moment the key can be on screen, not only once it settled.
    page.wait_for_selector("dialog[data-locked]", state="attached")
    page.keyboard.press("Escape")
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Store this private key securely")
    for _ in range(4):
        page.keyboard.press("Escape")
    page.wait_for_timeout(150)
    page.keyboard.press("Escape")
    page.wait_for_timeout(150)
    page.keyboard.press("Escape")
    page.mouse.click(5, 5)  # the backdrop, outside the dialog's box
    page.wait_for_timeout(150)
    page.mouse.click(5, 5)
    page.keyboard.press("Escape")

    expect(dialog).to_be_visible()
    assert page.evaluate("document.querySelector('dialog[data-modal]').open") is True
    key = dialog.locator("input[data-secret]").input_value()
    assert KEY_PATTERN.fullmatch(key)

    dialog.get_by_role("button", name="Copy").click()
    dialog.get_by_role("button", name="Close").click()

    expect(page.locator("dialog[data-modal]")).to_have_count(0)
    assert problems(console) == []


def test_escape_while_create_is_in_flight_does_not_lose_the_key(
    page: Page, console, sign_in, alice, development
):
    """The key exists as soon as the server has the POST: the form may not close meanwhile."""
    held = []
    page.route(
        "**/keys/new/",
        lambda route: held.append(route) if route.request.method == "POST" else route.fallback(),
    )
    page.goto(keys_tab_url(sign_in(alice), development))
    page.get_by_role("button", name="New API Key").click()
    page.get_by_label("API Key Name").fill("Held back")
    page.get_by_role("button", name="Create").click()
    for _ in range(100):  # until the POST is held (wait_for_function would eval: CSP)
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    for _ in range(3):
        page.keyboard.press("Escape")
    page.mouse.click(5, 5)
    page.locator("dialog[data-modal]").get_by_role("button", name="Cancel").click(force=True)
    expect(page.locator("dialog[data-modal][open]")).to_have_count(1)

    held[0].continue_()

    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Store this private key securely")
    assert KEY_PATTERN.fullmatch(dialog.locator("input[data-secret]").input_value())
    assert problems(console) == []


def test_a_failed_create_leaves_the_form_closable(page: Page, sign_in, alice, development):
    page.route(
        "**/keys/new/",
        lambda route: route.abort() if route.request.method == "POST" else route.fallback(),
    )
    page.goto(keys_tab_url(sign_in(alice), development))
    page.get_by_role("button", name="New API Key").click()
    page.get_by_label("API Key Name").fill("Offline")
    with page.expect_event("requestfailed"):
        page.get_by_role("button", name="Create").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).not_to_have_attribute("aria-busy", "true")
    expect(dialog.get_by_role("button", name="Create")).to_be_enabled()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog[data-modal]")).to_have_count(0)


REFUSE_CLIPBOARD_API = """
navigator.clipboard.writeText = () => Promise.reject(new DOMException("denied", "NotAllowedError"));
"""
REFUSE_EXEC_COMMAND = "document.execCommand = () => false;"


def test_copy_falls_back_to_the_selection_without_the_clipboard_api(
    page: Page, console, sign_in, alice, development
):
    page.add_init_script(REFUSE_CLIPBOARD_API)
    page.goto(keys_tab_url(sign_in(alice), development))
    dialog = create_key(page, "Fallback")
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_disabled()

    dialog.get_by_role("button", name="Copy").click()

    expect(close).to_be_enabled()
    key = dialog.locator("input[data-secret]").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert problems(console) == []


def test_when_copying_fails_a_manual_ctrl_c_unlocks_close(page: Page, sign_in, alice, development):
    page.add_init_script(REFUSE_CLIPBOARD_API + REFUSE_EXEC_COMMAND)
    page.goto(keys_tab_url(sign_in(alice), development))
    dialog = create_key(page, "By hand")
    secret = dialog.locator("input[data-secret]")
    close = dialog.get_by_role("button", name="Close")

    secret.click()
    page.keyboard.press("ControlOrMeta+KeyC")  # nothing selected: nothing copied
    expect(close).to_be_disabled()
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.locator("[data-copy-status]")).to_contain_text("press Ctrl+C")
    expect(close).to_be_disabled()
    selected = "(i => i.value.slice(i.selectionStart, i.selectionEnd))(document.activeElement)"
    assert page.evaluate(selected) == secret.input_value()  # the whole key, ready to copy

    page.keyboard.press("ControlOrMeta+KeyC")

    expect(close).to_be_enabled()
    assert page.evaluate("navigator.clipboard.readText()") == secret.input_value()
    close.click()
    expect(page.locator("dialog[data-modal]")).to_have_count(0)


def test_closed_key_leaves_the_page_and_the_table_shows_its_hint(
    page: Page, console, sign_in, alice, development
):
    url = keys_tab_url(sign_in(alice), development)
    page.goto(url)
    expect(page.locator("#key-table")).to_contain_text("No keys in this environment yet")
    dialog = create_key(page, "Nightly export")
    key = dialog.locator("input[data-secret]").input_value()
    assert in_html(page, key)  # the check below can fail: the key is in the DOM until Close

    # The table refreshes itself (HX-Trigger keyCreated) while the dialog is still open.
    row = page.locator("#key-table tr", has_text="Nightly export")
    expect(row).to_contain_text(hint(key))
    dialog.get_by_role("button", name="Copy").click()
    dialog.get_by_role("button", name="Close").click()

    expect(page.locator("dialog")).to_have_count(0)
    assert not in_html(page, key)
    assert key not in page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    expect(row).to_contain_text(hint(key))

    page.reload()
    row = page.locator("#key-table tr", has_text="Nightly export")
    expect(row).to_contain_text(hint(key))
    assert not in_html(page, key)
    assert ApiKey.objects.get(name="Nightly export").hint == hint(key)
    assert problems(console) == []


def test_admin_may_grant_manage_and_the_form_says_what_is_mandatory(
    page: Page, console, sign_in, alice, production
):
    page.goto(keys_tab_url(sign_in(alice), production))
    page.get_by_role("button", name="New API Key").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.get_by_label("API Key Name")).to_be_focused()
    expect(dialog.get_by_label("Read")).to_be_checked()
    expect(dialog.get_by_label("Read")).to_be_disabled()
    expect(dialog.get_by_label("Write")).not_to_be_checked()
    expect(dialog.get_by_label("Expires")).to_have_value("")
    dialog.get_by_label("API Key Name").fill("Ops")
    dialog.get_by_label("Manage").check()
    dialog.get_by_label("Expires").select_option(label="In 30 days")
    dialog.get_by_role("button", name="Create").click()

    secret = page.locator("dialog[data-locked][open]")
    expect(secret.locator("[data-permissions]")).to_have_text("Read Manage")
    assert secret.locator("input[data-secret]").input_value().startswith("kd_live_")
    page.screenshot(path="/tmp/modal.png")
    assert problems(console) == []


def test_member_may_not_grant_manage(page: Page, console, sign_in, bob, development):
    page.goto(keys_tab_url(sign_in(bob), development))
    page.get_by_role("button", name="New API Key").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.get_by_label("Write")).to_be_visible()
    expect(dialog.get_by_label("Manage")).to_have_count(0)


def test_an_empty_name_keeps_the_form_open_with_an_error(page: Page, sign_in, alice, development):
    page.goto(keys_tab_url(sign_in(alice), development))
    page.get_by_role("button", name="New API Key").click()
    page.get_by_role("button", name="Create").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.locator(".field.invalid")).to_contain_text("API Key Name")
    expect(dialog.get_by_role("button", name="Create")).to_be_visible()
    # (Chromium logs the 422 itself as a console error: that one is intended.)
    assert ApiKey.objects.count() == 0


def test_viewer_sees_no_new_api_key_button(page: Page, console, sign_in, victor, development):
    page.goto(keys_tab_url(sign_in(victor), development))
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.get_by_text("New API Key")).to_have_count(0)
    assert problems(console) == []


def test_no_console_errors_nor_csp_violations(page: Page, console, sign_in, alice, development):
    base_url = sign_in(alice)
    page.goto(keys_tab_url(base_url, development))
    dialog = create_key(page, "Clean console", write=True)
    dialog.get_by_role("button", name="Copy").click()
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("#key-table")).to_contain_text("Clean console")
    page.goto(f"{base_url}/quickstart/")
    page.get_by_role("button", name="New API Key").click()
    expect(page.locator("dialog[data-modal][open]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog[data-modal]")).to_have_count(0)
    page.goto(f"{base_url}/projects/")
    assert problems(console) == []

    # The watch itself sees a violation when there is one (an image from another origin).
    page.evaluate(
        "document.body.append(Object.assign(new Image(), {src: 'https://example.invalid/x.png'}))"
    )
    expect(page.locator("img[src^='https://example.invalid']")).to_have_count(1)
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in line for line in problems(console)), console


def test_the_fields_are_named_exactly_by_their_labels(
    page: Page, console, sign_in, alice, development
):
    """DESIGN.md 4 and 12: no trailing colon in any accessible name."""
    page.goto(keys_tab_url(sign_in(alice), development))
    page.get_by_role("button", name="New API Key").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.get_by_role("textbox", name="API Key Name", exact=True)).to_be_visible()
    read = dialog.get_by_role("checkbox", name="Read", exact=True)
    expect(read).to_be_checked()
    expect(read).to_be_disabled()
    expect(dialog.get_by_role("checkbox", name="Write", exact=True)).not_to_be_checked()
    expect(dialog.get_by_role("combobox", name="Expires", exact=True)).to_be_visible()
    labels = dialog.locator("label").all_inner_texts()
    assert "Write" in labels
    assert [label for label in labels if label.strip().endswith(":")] == []
    assert problems(console) == []
