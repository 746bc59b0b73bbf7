"""Every dashboard page and dialog at phone width, 390x844 with touch (issue 10 item 2):
nothing wider than the screen, a top bar that holds all of its controls, dialogs on screen."""

import pytest
from playwright.sync_api import Page, expect

from keys.models import issue_api_key, rotate_api_key
from tests.browser.conftest import KEY_PATTERN, keys_tab_url, problems
from tests.browser.phone import PHONE, on_screen, page_width, phone_page

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, live_server, transactional_db, alice, bob, production, api_key):
    """alice (an admin, with keys in two environments) on a phone."""
    key, _ = api_key
    issue_api_key(environment=production, name="A rather long production key name", by=bob)
    rotate_api_key(key=key, by=alice, grace_seconds=3600)
    page = phone_page(browser, live_server.url, alice)
    yield page
    page.context.close()


def dashboard_urls(base, alice, development, key, bob_membership):
    project = development.project
    return [
        f"{base}/quickstart/",
        f"{base}/projects/",
        f"{base}/projects/{project.slug}/",
        f"{base}/projects/{project.slug}/rename/",
        f"{base}/projects/{project.slug}/archive/",
        f"{base}/projects/{project.slug}/environments/{development.slug}/archive/",
        keys_tab_url(base, development),
        f"{base}/projects/{project.slug}/environments/{development.slug}/keys/new/",
        f"{base}/keys/new/",
        f"{base}/keys/",
        f"{base}/keys/?status=active&never_used=on",
        f"{base}/keys/{key.public_id}/",
        f"{base}/keys/{key.public_id}/edit/",
        f"{base}/keys/revoke/?keys={key.public_id}",
        f"{base}/members/",
        f"{base}/members/new/",
        f"{base}/members/{bob_membership.pk}/remove/",
        f"{base}/audit/",
        f"{base}/accounts/password/",
    ]


def assert_top_bar_holds_its_controls(page: Page, url):
    """Every control of the top bar is drawn on the bar (not white on the white page)."""
    bar = page.locator("header.topbar").bounding_box()
    controls = page.locator("header.topbar").locator("a:visible, button:visible, select:visible")
    assert controls.count() >= 5, url
    for control in controls.all():
        box = control.bounding_box()
        assert box["x"] >= bar["x"] and box["x"] + box["width"] <= PHONE["width"], control
        assert box["y"] >= bar["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"]


def test_no_page_is_wider_than_the_phone(phone, live_server, alice, bob, development, acme):
    key = development.api_keys.order_by("created_at").first()
    console = []
    phone.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    urls = dashboard_urls(live_server.url, alice, development, key, acme.memberships.get(user=bob))
    too_wide = {}
    for url in urls:
        phone.goto(url)
        expect(phone.locator("main h1, main h2").first).to_be_visible()
        if page_width(phone) > PHONE["width"]:
            too_wide[url.removeprefix(live_server.url)] = page_width(phone)
        assert_top_bar_holds_its_controls(phone, url)
    assert too_wide == {}
    # Signed out too.
    phone.locator("header.topbar").get_by_role("button", name="Sign out").tap()
    expect(phone.locator("header.topbar .username")).to_have_count(0)
    for path in ("/accounts/login/", "/accounts/signup/"):
        phone.goto(f"{live_server.url}{path}")
        assert page_width(phone) <= PHONE["width"], path
    assert problems(console) == []


def test_dialogs_fit_the_phone_and_create_can_be_tapped(phone, live_server, development):
    phone.goto(keys_tab_url(live_server.url, development))
    phone.get_by_text("New API Key", exact=True).tap()
    dialog = phone.locator("dialog[data-modal][open]")
    expect(dialog.get_by_label("API Key Name")).to_be_focused()
    assert on_screen(phone, dialog)
    dialog.get_by_label("API Key Name").fill("From my phone")
    create = dialog.get_by_role("button", name="Create")
    assert on_screen(phone, create)
    create.tap()

    expect(dialog).to_contain_text("Store this private key securely")
    assert on_screen(phone, dialog)
    assert KEY_PATTERN.fullmatch(dialog.locator("input[data-secret]").input_value())
    dialog.get_by_role("button", name="Copy").tap()
    close = dialog.get_by_role("button", name="Close")
    assert on_screen(phone, close)
    close.tap()
    expect(phone.locator("dialog[data-modal]")).to_have_count(0)
    expect(phone.locator("#key-table")).to_contain_text("From my phone")
    assert page_width(phone) <= PHONE["width"]

    # The revocation dialog of the all-keys page, with its long list and reason.
    phone.goto(f"{live_server.url}/keys/")
    for box in phone.locator("#admin-table input[name=keys]").all():
        box.tap()
    phone.get_by_role("button", name="Revoke selected").tap()
    expect(dialog.get_by_label("Reason")).to_be_visible()
    assert on_screen(phone, dialog)
    assert on_screen(phone, dialog.get_by_role("button", name="Confirm revocation"))
    dialog.get_by_role("button", name="Cancel").tap()

    # Add member.
    phone.goto(f"{live_server.url}/members/")
    phone.get_by_text("Add member", exact=True).tap()
    expect(dialog.get_by_role("button", name="Add member")).to_be_visible()
    assert on_screen(phone, dialog)
    assert on_screen(phone, dialog.get_by_role("button", name="Add member"))
