"""The page frame (issue 12 items 1 and 2): the sidebar collapses and stays collapsed, it is a
menu at phone width, and the theme follows the system until switched, then stays switched; the
server renders both choices in its first response, so no page paints the other state first."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import problems
from tests.browser.phone import phone_page
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LIGHT_BG = "rgb(246, 247, 251)"
DARK_BG = "rgb(15, 20, 32)"


def raw_html(page: Page, url) -> str:
    """The server's own answer for `url`, with the page's cookies, before any script runs."""
    return page.context.request.get(url).text()


def background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_the_sidebar_collapses_and_stays_collapsed(page: Page, console, sign_in, alice, project):
    base = sign_in(alice)
    page.goto(f"{base}/projects/")
    nav = page.get_by_role("navigation", name="Main")
    toggle = page.get_by_role("button", name="sidebar")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Projects")).to_have_attribute("aria-current", "page")
    expect(toggle).to_have_attribute("aria-expanded", "true")

    toggle.click()
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # The next page, and a reload, come from the server already collapsed.
    assert re.search(r'<html [^>]*data-sidebar="collapsed"', raw_html(page, f"{base}/quickstart/"))
    page.goto(f"{base}/quickstart/")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.reload()
    expect(nav).to_be_hidden()

    toggle.click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Quickstart")).to_have_attribute("aria-current", "page")
    page.reload()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert not re.search(r"<html [^>]*data-sidebar", raw_html(page, f"{base}/projects/"))
    assert problems(console) == []


def test_at_phone_width_the_sidebar_is_a_menu(browser, live_server, transactional_db, alice, acme):
    page = phone_page(browser, live_server.url, alice)
    page.goto(f"{live_server.url}/projects/")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="sidebar")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")

    menu.tap()
    expect(nav).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()

    menu.tap()
    nav.get_by_role("link", name="Members").tap()
    expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
    expect(nav).to_be_hidden()  # a new page starts with the menu closed
    # Opening the menu on a phone is not the laptop's collapse: nothing is remembered.
    assert "keydesk_sidebar" not in {cookie["name"] for cookie in page.context.cookies()}
    page.context.close()


@pytest.mark.parametrize(
    ("system", "expected"), [("light", LIGHT_BG), ("dark", DARK_BG)], ids=["light", "dark"]
)
def test_the_theme_follows_the_system_by_default(
    browser, live_server, transactional_db, alice, acme, system, expected
):
    page = browser.new_context(color_scheme=system).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile(".*"))
    assert background(page) == expected
    other = "dark" if system == "light" else "light"
    expect(page.get_by_role("button", name=f"Switch to the {other} theme")).to_be_visible()
    page.context.close()


def test_the_theme_switch_is_remembered(browser, live_server, transactional_db, alice, acme):
    page = browser.new_context(color_scheme="light").new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Switch to the light theme")).to_be_visible()
    assert background(page) == DARK_BG

    # The server's first response already says dark: the page never paints light first.
    html = raw_html(page, f"{base}/accounts/login/")
    assert '<html lang="en" data-theme="dark"' in html
    assert '<meta name="color-scheme" content="dark">' in html
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".username")).to_have_text("alice")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG

    page.get_by_role("button", name="theme").click()
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == LIGHT_BG
    page.context.close()
