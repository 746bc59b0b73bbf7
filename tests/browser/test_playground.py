"""The API playground in a browser: 200 and 401 answers with their headers, by htmx and
without JavaScript, and the key never left in the form or the URL."""

import json

import pytest
from playwright.sync_api import Page, expect

from keys.models import ApiKey, revoke_api_key
from tests.browser.conftest import problems, submit_sign_in
from tests.browser.phone import PHONE, page_width, phone_page

pytestmark = pytest.mark.browser


def send(page: Page, key, *, write=False):
    page.get_by_label("API key").fill(key)
    if write:
        page.get_by_label("Write").check()
    page.get_by_role("button", name="Send request").click()


def shown_body(page: Page):
    return json.loads(page.locator("[data-body]").inner_text())


def test_it_shows_200_and_401_answers_with_their_headers(
    page: Page, sign_in, alice, api_key, console
):
    key, plaintext = api_key
    base = sign_in(alice)
    page.goto(f"{base}/quickstart/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Playground").click()
    expect(page).to_have_url(f"{base}/playground/")
    field = page.get_by_label("API key")
    expect(field).to_have_attribute("type", "password")
    expect(field).to_have_attribute("autocomplete", "off")

    send(page, plaintext)
    result = page.locator("#playground-result")
    expect(result.locator("[data-status]")).to_have_text("200 OK")
    assert shown_body(page) == {
        "valid": True,
        "key": {
            "id": key.public_id,
            "name": "CI deploys",
            "environment": "development",
            "project": "billing-api",
            "permissions": ["read"],
            "expires_at": None,
        },
    }
    headers = result.locator("[data-headers]")
    expect(headers).to_contain_text("RateLimit-Limit600")
    expect(headers).to_contain_text("RateLimit-Remaining599")
    expect(headers).to_contain_text("RateLimit-Reset")
    assert page.url == f"{base}/playground/"  # htmx: no navigation, nothing in the URL

    # A permission the key lacks: 403, still with the rate-limit headers (one more used).
    send(page, plaintext, write=True)
    expect(result.locator("[data-status]")).to_have_text("403 Forbidden")
    assert shown_body(page)["error"]["code"] == "insufficient_permissions"
    expect(headers).to_contain_text("RateLimit-Remaining598")
    page.get_by_label("Write").uncheck()

    revoke_api_key(key=ApiKey.objects.get(), by=alice, reason="test")
    send(page, plaintext)
    expect(result.locator("[data-status]")).to_have_text("401 Unauthorized")
    assert shown_body(page)["error"]["code"] == "revoked_api_key"
    expect(headers).to_contain_text("WWW-AuthenticateBearer")
    expect(headers).not_to_contain_text("RateLimit")
    assert problems(console) == []


def test_it_works_without_javascript(browser, live_server, transactional_db, alice, api_key):
    _, plaintext = api_key
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    submit_sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/playground/")
    send(page, plaintext)
    expect(page.locator("[data-status]")).to_have_text("200 OK")
    assert page.url == f"{live_server.url}/playground/"
    expect(page.get_by_label("API key")).to_have_value("")  # never rendered back
    assert plaintext not in page.content()
    context.close()


def test_it_fits_a_phone(browser, live_server, transactional_db, alice, api_key):
    _, plaintext = api_key
    page = phone_page(browser, live_server.url, alice)
    page.goto(f"{live_server.url}/playground/")
    send(page, plaintext)
    expect(page.locator("[data-status]")).to_have_text("200 OK")
    assert page_width(page) <= PHONE["width"]
    page.context.close()
