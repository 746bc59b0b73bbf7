"""Paging the key lists in a real Chromium: the pager swaps the table in place and puts the
page in the address bar; `Revoke selected` acts on the page shown; after a revocation the
table redraws the page it was on."""

import re

import pytest
from playwright.sync_api import Page, expect

from config.pagination import PAGE_SIZE
from keys.models import ApiKey
from tests.browser.conftest import keys_tab_url, problems

pytestmark = pytest.mark.browser


@pytest.fixture
def many(alice, development):
    """PAGE_SIZE + 5 keys of alice's, newest first."""
    for n in range(PAGE_SIZE + 5):
        ApiKey.issue(environment=development, name=f"worker {n:02d}", created_by=alice)
    return list(development.api_keys.order_by("-created_at", "-id"))


def test_all_keys_pages_in_place_and_revokes_from_the_page_shown(
    page: Page, console, sign_in, alice, many
):
    page.goto(f"{sign_in(alice)}/keys/?status=active")
    table = page.locator("#admin-table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(PAGE_SIZE)
    expect(table).to_contain_text(f"{len(many)} keys, newest first.")
    page.evaluate("window.__marker = 1")

    table.get_by_role("link", name="Older keys").click()
    expect(rows).to_have_count(5)
    expect(page).to_have_url(re.compile(r"/keys/\?status=active&cursor="))
    expect(table.locator(f"tr[data-key-id='{many[-1].public_id}']")).to_be_visible()
    assert page.evaluate("window.__marker") == 1  # swapped in place, no reload

    # Select all: the five keys of this page, and the dialog names those five only.
    bulk = page.get_by_role("button", name="Revoke selected")
    expect(bulk).to_have_accessible_description("Acts on the keys checked on this page.")
    page.get_by_role("checkbox", name="Select all keys on this page").check()
    expect(bulk).to_have_text("Revoke selected (5)")
    bulk.click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.locator(".revoke-list li")).to_have_count(5)
    dialog.get_by_label("Reason").fill("the last five")
    dialog.get_by_role("button", name="Confirm revocation").click()
    expect(page.locator("#flash [role=status]")).to_have_text("Revoked 5 keys.")

    # The table redraws the page it was on: past the last active key now, with a way back.
    expect(table).to_contain_text("No keys match.")
    expect(table).to_contain_text(f"{PAGE_SIZE} keys, newest first (an older page).")
    assert set(ApiKey.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == {
        key.pk for key in many[PAGE_SIZE:]
    }
    table.get_by_role("link", name="Newer keys").click()
    expect(rows).to_have_count(PAGE_SIZE)
    expect(table.get_by_role("link", name="Older keys")).to_have_count(0)
    page.go_back()  # the address bar kept each page
    expect(page).to_have_url(re.compile(r"cursor="))
    assert problems(console) == []


def test_the_keys_tab_pages_in_place(page: Page, console, sign_in, alice, development, many):
    page.goto(keys_tab_url(sign_in(alice), development))
    table = page.locator("#key-table")
    expect(table.locator("tbody tr")).to_have_count(PAGE_SIZE)
    table.get_by_role("link", name="Older keys").click()
    expect(table.locator("tbody tr")).to_have_count(5)
    table.get_by_role("link", name="Newest").click()
    expect(table.locator(f"tr[data-key-id='{many[0].public_id}']")).to_be_visible()
    expect(page.get_by_role("navigation", name="Pages of keys")).to_be_visible()
    assert problems(console) == []
