"""Issue 12 items 3, 4 and 8 in a real browser: the environment's usage chart, the hygiene
links, the organization settings round trip, and the maximum lifetime refused in the dialog."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from environments.models import Organization
from keys.models import ApiKey, issue_api_key
from tests.browser.conftest import keys_tab_url, problems
from tests.browser.phone import page_width, phone_page

pytestmark = pytest.mark.browser


def test_a_hygiene_count_leads_to_the_keys_it_counts(page: Page, console, sign_in, alice, api_key):
    key, _ = api_key
    now = timezone.now()
    used, _ = issue_api_key(
        environment=key.environment, name="in use", by=alice, expires_at=now + timedelta(days=3)
    )
    ApiKey.objects.filter(pk=used.pk).update(last_used_at=now)
    base = sign_in(alice)
    page.goto(f"{base}/keys/")
    hygiene = page.get_by_role("region", name="Key hygiene")
    never = hygiene.get_by_role("link", name="1 never used")
    expect(hygiene.get_by_role("link", name="1 expiring within 7 days")).to_be_visible()
    never.click()
    expect(page).to_have_url(f"{base}/keys/?status=active&use=never")
    expect(page.get_by_label("Use")).to_have_value("never")
    expect(page.get_by_label("Status")).to_have_value("active")
    rows = page.locator("#admin-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(key.name)
    assert problems(console) == []


def test_settings_round_trip_and_the_limit_is_refused_in_the_dialog(
    page: Page, console, sign_in, alice, acme, production
):
    base = sign_in(alice)
    page.goto(f"{base}/settings/")
    page.get_by_label("Organization name").fill("Acme Corp")
    page.get_by_label("Maximum lifetime of new production keys (days)").fill("30")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_label("Organization name")).to_have_value("Acme Corp")
    expect(page.get_by_label("Maximum lifetime of new production keys (days)")).to_have_value("30")
    acme.refresh_from_db()
    assert (acme.name, acme.max_production_key_days) == ("Acme Corp", 30)

    page.goto(keys_tab_url(base, production))
    page.get_by_role("button", name="New API Key").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Acme Corp allows production keys 30 days at most")
    dialog.get_by_label("API Key Name").fill("forever")
    dialog.get_by_label("Expires").select_option(label="Never")
    dialog.get_by_role("button", name="Create").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Production keys of this organization expire within 30 days")
    expect(dialog.get_by_label("Expires")).to_have_attribute("aria-invalid", "true")
    assert not ApiKey.objects.exists()
    dialog.get_by_label("Expires").select_option(label="In 30 days")
    dialog.get_by_role("button", name="Create").click()
    expect(page.locator("dialog[data-modal][open]")).to_contain_text(
        "Store this private key securely"
    )
    assert ApiKey.objects.get().expires_at is not None
    refused = [line for line in problems(console) if "status of 422" not in line]
    assert refused == []


def test_the_charts_fit_a_phone(browser, live_server, transactional_db, alice, api_key):
    key, _ = api_key
    key.usage.create(day=timezone.now().date(), requests=210)
    Organization.objects.update(max_production_key_days=30)
    page = phone_page(browser, live_server.url, alice)
    for path in (f"/keys/{key.public_id}/", keys_tab_url("", key.environment), "/settings/"):
        page.goto(f"{live_server.url}{path}")
        assert page_width(page) <= 390, path
    page.goto(f"{live_server.url}/keys/{key.public_id}/")
    chart = page.get_by_role("img", name="Requests per day")
    box = chart.bounding_box()
    assert box is not None and 250 < box["width"] <= 390
    labels = chart.locator(".days text")
    expect(labels).to_have_count(5)
    boxes = [labels.nth(n).bounding_box() for n in range(5)]
    for left, right in pairwise(boxes):
        assert left["x"] + left["width"] < right["x"]  # date labels never overlap
    assert boxes[0]["x"] >= box["x"]
    assert boxes[-1]["x"] + boxes[-1]["width"] <= box["x"] + box["width"] + 1
    page.context.close()
