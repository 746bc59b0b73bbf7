"""The Members page in a real Chromium: the htmx dialogs and the table they refresh."""

import re

import pytest
from playwright.sync_api import Page, expect

from environments.models import Membership, Role
from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def row(page: Page, username):
    return page.locator(f'tr[data-member="{username}"]')


def test_it_removes_a_member_through_the_dialog(page: Page, console, sign_in, alice, bob):
    page.goto(f"{sign_in(alice)}/members/")
    row(page, "bob").get_by_role("button", name="Remove").click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Remove bob")
    dialog.get_by_role("button", name="Remove member").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text("bob was removed.")
    expect(row(page, "bob")).to_have_count(0)
    assert page.url.endswith("/members/")
    assert not Membership.objects.filter(user=bob).exists()
    assert problems(console) == []


def test_cancel_keeps_the_member(page: Page, console, sign_in, alice, bob):
    page.goto(f"{sign_in(alice)}/members/")
    row(page, "bob").get_by_role("button", name="Remove").click()
    page.locator("dialog[data-modal][open]").get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(row(page, "bob")).to_have_count(1)
    assert Membership.objects.filter(user=bob).exists()
    assert problems(console) == []


def test_it_adds_a_member_and_shows_the_password_until_copied(
    page: Page, console, sign_in, alice, acme
):
    page.goto(f"{sign_in(alice)}/members/")
    page.get_by_role("button", name="Add member").click()
    dialog = page.locator("dialog[data-modal][open]")
    dialog.get_by_label("Username").fill("dana")
    dialog.get_by_label("Role").select_option("viewer")
    dialog.get_by_role("button", name="Add member").click()
    expect(page.locator("dialog[data-locked][open]")).to_have_count(1)
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog).to_contain_text("Hand this password to dana now.")
    password = dialog.locator("input[data-secret]").input_value()
    assert re.fullmatch(r"(\w{5}-){3}\w{5}", password), password
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_disabled()
    dialog.get_by_role("button", name="Copy").click()
    expect(close).to_be_enabled()
    close.click()
    expect(page.locator("dialog")).to_have_count(0)
    assert password not in page.content()
    expect(row(page, "dana").locator("select")).to_have_value("viewer")
    assert problems(console) == []


def test_it_changes_a_role_in_place(page: Page, console, sign_in, alice, bob):
    page.goto(f"{sign_in(alice)}/members/")
    row(page, "bob").locator("select").select_option("viewer")
    row(page, "bob").get_by_role("button", name="Change role").click()
    expect(page.locator("#members")).to_contain_text("bob is now viewer.")
    expect(row(page, "bob").locator("select")).to_have_value("viewer")
    assert Membership.objects.get(user=bob).role == Role.VIEWER
    assert problems(console) == []


def test_it_shows_why_the_last_admin_stays(page: Page, console, sign_in, alice, acme):
    page.goto(f"{sign_in(alice)}/members/")
    row(page, "alice").locator("select").select_option("member")
    row(page, "alice").get_by_role("button", name="Change role").click()
    expect(page.locator("#members [role=alert]")).to_contain_text("alice is the last admin")
    expect(row(page, "alice").locator("select")).to_have_value("admin")
    assert Membership.objects.get(user=alice).role == Role.ADMIN
    assert [p for p in problems(console) if "422" not in p] == []
