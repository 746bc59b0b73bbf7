"""The front door (issue 10 item 8): the API docs are one click from every dashboard page and
look like part of Keydesk; the password page keeps the main navigation."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def test_the_api_docs_are_linked_from_the_dashboard(page: Page, console, sign_in, bob, project):
    page.goto(f"{sign_in(bob)}/projects/")
    expect(page).to_have_title("Projects · Keydesk")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="API docs").click()
    expect(page).to_have_url(f"{page.url.split('/v1/')[0]}/v1/docs")
    expect(page).to_have_title("API docs · Keydesk")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("/v1/auth/verify").first).to_be_visible()
    assert problems(console) == []


def test_the_password_page_keeps_the_navigation(page: Page, console, sign_in, alice, acme):
    page.goto(f"{sign_in(alice)}/projects/")
    page.locator("header .username").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Quickstart", "Projects", "All keys", "Members", "Audit", "API docs"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(page.locator("header .org")).to_have_text("Acme")
    nav.get_by_role("link", name="Projects").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    assert problems(console) == []
