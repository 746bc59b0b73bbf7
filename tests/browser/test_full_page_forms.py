"""A dialog's form opened as a full page (a new tab, no JavaScript navigation) still submits:
htmx loads on the page, but the form posts as a plain form, with no dialog to target."""

import pytest
from playwright.sync_api import Page, expect

from keys.models import ApiKey
from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def test_rotating_from_the_full_page(page: Page, console, sign_in, alice, api_key):
    old = api_key[0]
    base = sign_in(alice)
    page.goto(f"{base}/keys/{old.public_id}/rotate/")
    expect(page.locator("dialog")).to_have_count(0)
    page.get_by_role("button", name="Rotate").click()
    expect(page.locator(".alert.warning")).to_contain_text("Store this private key securely")
    assert ApiKey.objects.filter(rotated_from=old).exists()
    assert problems(console) == []
