"""Usage reaches the page at once (issue 10 item 7): 25 calls show as 25 requests on the keys
tab and the key's page (the table, and both charts' totals), with the last use's time and
address."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import keys_tab_url, problems

pytestmark = pytest.mark.browser


def test_25_calls_show_as_25_requests_at_once(page: Page, console, sign_in, alice, api_key):
    key, plaintext = api_key
    base = sign_in(alice)
    for _ in range(25):
        response = page.request.get(
            f"{base}/v1/auth/verify", headers={"Authorization": f"Bearer {plaintext}"}
        )
        assert response.status == 200
    page.goto(keys_tab_url(base, key.environment))
    row = page.locator(f"tr[data-key-id='{key.public_id}']")
    headers = page.locator("#key-table thead th").all_inner_texts()
    cells = row.locator("td").all_inner_texts()
    requests = dict(zip(headers, cells, strict=False))
    assert requests["Requests (7 days)"] == "25"
    assert requests["Last used"] != "never"

    today = timezone.now().date()  # days are UTC's
    label = (
        f"Requests per day over the last 30 days: 25 in total, peak 25 on {today.day} {today:%b}"
    )
    environment_chart = page.get_by_role("img", name="Requests per day")
    expect(environment_chart).to_have_attribute("aria-label", label)

    row.get_by_role("link", name=key.name).click()
    recent = page.locator("section", has=page.get_by_role("heading", name="Recent use"))
    chart = recent.get_by_role("img", name="Requests per day")
    expect(chart).to_have_attribute("aria-label", label)
    expect(chart.locator("rect")).to_have_count(30)
    recent.get_by_text("Days with requests, as a table").click()
    expect(recent.locator("tbody td").nth(1)).to_have_text("25")
    expect(recent).to_contain_text("ago")
    expect(recent.locator("[data-last-used-ip]")).to_have_text("127.0.0.1")
    assert problems(console) == []
