"""The audit review page in a real Chromium: htmx swaps, the address bar, `<details>`."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def rows(page: Page):
    return page.locator("#audit-table tbody tr[data-event-id]")


def test_filters_swap_the_table_and_the_address_follows(
    page: Page, console, sign_in, alice, api_key
):
    page.goto(f"{sign_in(alice)}/audit/")
    page.evaluate("window.notReloaded = true")
    expect(rows(page).first).to_be_visible()
    page.get_by_label("Action").select_option("key_created")
    expect(page).to_have_url(re.compile(r"/audit/\?action=key_created$"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("CI deploys")
    assert page.evaluate("window.notReloaded") is True  # swapped, not reloaded

    row = rows(page).first
    expect(row.locator("pre.metadata")).to_be_hidden()
    row.get_by_text("Details").click()
    expect(row.locator("pre.metadata")).to_contain_text('"permissions"')

    page.go_back()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    expect(rows(page).nth(1)).to_be_visible()
    assert problems(console) == []


def test_verify_chain_answers_in_place(page: Page, console, sign_in, alice, api_key):
    page.goto(f"{sign_in(alice)}/audit/")
    expect(page.locator("#chain-state")).to_contain_text("Not verified yet.")
    page.get_by_role("button", name="Verify chain").click()
    expect(page.locator("#chain-state")).to_contain_text("Intact.")
    expect(page.locator("#chain-state")).to_contain_text("by alice")
    assert page.url.endswith("/audit/")
    assert problems(console) == []
