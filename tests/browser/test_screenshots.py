"""Screenshots of the pages a newcomer meets, in the light and the dark theme, at 1280 px and
at phone width, written to
`screenshots/` (git-ignored; README "Tests") for a person to look at: a page can pass every
assertion and still look wrong."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from keys.models import issue_api_key, rotate_api_key
from tests.browser.conftest import keys_tab_url
from tests.browser.phone import PHONE, page_width, phone_page, signed_in

pytestmark = pytest.mark.browser

FOLDER = Path(settings.BASE_DIR) / "screenshots"


def test_it_writes_the_walkthrough_screenshots(
    browser, live_server, transactional_db, alice, bob, production, api_key
):
    key, _ = api_key
    issue_api_key(environment=production, name="Billing worker", by=bob, write=True)
    rotate_api_key(key=key, by=alice, grace_seconds=3600)
    development = key.environment
    pages = {
        "quickstart": "/quickstart/",
        "keys-tab": keys_tab_url("", development),
        "key-page": f"/keys/{key.public_id}/",
        "all-keys": "/keys/",
    }
    FOLDER.mkdir(exist_ok=True)
    for theme in ("light", "dark"):
        for width, options in (
            (1280, {"viewport": {"width": 1280, "height": 800}}),
            (PHONE["width"], {}),
        ):
            if options:
                page = browser.new_context(**options).new_page()
            else:
                page = phone_page(browser, live_server.url)
            page.context.add_cookies(
                [{"name": "keydesk_theme", "value": theme, "url": live_server.url}]
            )
            signed_in(page, live_server.url, "alice")
            for name, path in pages.items():
                page.goto(f"{live_server.url}{path}")
                expect(page.locator("main h1")).to_be_visible()
                expect(page.locator("html")).to_have_attribute("data-theme", theme)
                assert page_width(page) <= width, path
                target = FOLDER / f"{name}-{theme}-{width}.png"
                page.screenshot(path=target, full_page=True)
                assert target.stat().st_size > 10_000  # a page, not a blank
            page.context.close()
