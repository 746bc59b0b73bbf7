"""Environment tags in a browser: added on the environment, shown as chips, and the filter of
All keys (typed, and by following a chip)."""

import re

import pytest
from playwright.sync_api import Page, expect

from keys.models import issue_api_key
from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def test_tag_an_environment_and_filter_keys_by_it(
    page: Page, sign_in, alice, development, production, console
):
    issue_api_key(environment=development, name="payments key", by=alice)
    issue_api_key(environment=production, name="search key", by=alice)
    base = sign_in(alice)
    page.goto(f"{base}/projects/billing-api/environments/development/keys/")
    page.get_by_role("link", name="Add tags").click()
    page.get_by_label("Tags").fill("team=payments\nregion = EU")
    page.get_by_role("button", name="Save tags").click()
    chips = page.get_by_role("list", name="Tags of development")
    expect(chips.get_by_role("listitem")).to_have_text(["region=EU", "team=payments"])

    page.goto(f"{base}/keys/")
    rows = page.locator("#admin-table tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Tag", exact=True).fill("team=payments")
    page.get_by_label("Tag", exact=True).press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("payments key")
    expect(page).to_have_url(re.compile(r"/keys/\?.*tag=team%3Dpayments"))  # shareable

    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="region=EU").click()  # a chip in the row filters by it
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Tag", exact=True)).to_have_value("region=EU")
    assert problems(console) == []
