"""The quickstart notices the key's first use by itself, and the API docs run under the CSP."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import problems
from tests.server import get

pytestmark = pytest.mark.browser


def test_step_four_notices_the_first_request(page: Page, sign_in, alice, api_key, console):
    _, plaintext = api_key
    base = sign_in(alice)
    page.goto(f"{base}/quickstart/")
    step = page.locator(".step").nth(3)
    expect(step).to_contain_text("Waiting for the first request")
    expect(step).to_contain_text(
        f'curl -H "Authorization: Bearer $KEYDESK_KEY" {base}/v1/auth/verify'
    )

    status, _, _ = get(f"{base}/v1/auth/verify", {"Authorization": f"Bearer {plaintext}"})
    assert status == 200

    # No reload: the steps poll until the key has been used.
    expect(step).to_contain_text("First request received", timeout=10_000)
    expect(step).to_have_class("step done")
    assert problems(console) == []


def test_the_api_docs_render_under_the_csp(page: Page, base_url_live, console):
    page.goto(f"{base_url_live}/v1/docs")
    expect(page.get_by_text("/v1/auth/verify").first).to_be_visible()
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Keydesk")
    assert problems(console) == []
