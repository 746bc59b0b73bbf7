"""The quickstart, from a brand-new account to a copied key, in a real Chromium (DESIGN.md §4)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from environments.models import Environment
from tests.browser.conftest import KEY_PATTERN, in_html, problems, submit_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def step(page: Page, title):
    return page.locator("#steps > li", has_text=title)


def test_fresh_account_reaches_a_copied_live_key(page: Page, console, base_url_live):
    page.goto(f"{base_url_live}/accounts/signup/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label(re.compile(r"^Email")).fill("dana@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Organization name").fill("Initech")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base_url_live}/quickstart/")
    expect(step(page, "Create a project").locator(".state")).to_have_text("next")

    page.get_by_label("Project name").fill("Payments")
    page.get_by_role("button", name="Create project").click()
    expect(step(page, "Create a project").locator(".state")).to_have_text("done")

    page.get_by_label("Environment name").fill("live")
    page.get_by_label("Production").check()
    page.get_by_role("button", name="Create environment").click()
    expect(step(page, "Create an environment").locator(".state")).to_have_text("done")
    environment = Environment.objects.get(name="live", project__name="Payments")
    assert environment.is_production

    expect(step(page, "Create an API key").locator(".state")).to_have_text("next")
    step(page, "Create an API key").get_by_role("button", name="New API Key").click()
    dialog = page.locator("dialog[data-modal][open]")
    select = dialog.get_by_label("Environment")
    expect(select).to_have_value(str(environment.pk))
    expect(select.locator("option:checked")).to_have_text("Payments / live")
    dialog.get_by_label("API Key Name").fill("First key")
    dialog.get_by_role("button", name="Create").click()

    expect(dialog).to_contain_text("Store this private key securely")
    key = dialog.locator("input[data-secret]").input_value()
    assert KEY_PATTERN.fullmatch(key)
    assert key.startswith("kd_live_")
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_disabled()
    dialog.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == key
    close.click()

    expect(page.locator("dialog")).to_have_count(0)
    expect(step(page, "Create an API key").locator(".state")).to_have_text("done")
    expect(step(page, "Create an API key")).to_contain_text(f"{key[:12]}…{key[-4:]}")
    expect(step(page, "Make your first request").locator(".state")).to_have_text("next")
    assert not in_html(page, key)
    page.reload()
    expect(step(page, "Create an API key").locator(".state")).to_have_text("done")
    assert not in_html(page, key)
    assert problems(console) == []


def test_environment_defaults_to_the_newest_of_the_newest_project(
    page: Page, console, sign_in, alice, production, development
):
    """Not merely the first option: production is listed first, development is newer."""
    page.goto(f"{sign_in(alice)}/quickstart/")
    step(page, "Create an API key").get_by_role("button", name="New API Key").click()
    select = page.locator("dialog[data-modal][open]").get_by_label("Environment")
    expect(select.locator("option")).to_have_text(
        ["Billing API / production", "Billing API / development"]
    )
    expect(select).to_have_value(str(development.pk))
    expect(select).to_be_focused()
    assert problems(console) == []


def test_a_second_project_gets_a_thread_of_its_own(
    page: Page, console, sign_in, alice, acme, api_key
):
    """Steps 1 to 4 describe one project, one environment and one key (issue 10 item 3)."""
    first_key, _ = api_key
    base = sign_in(alice)
    page.goto(f"{base}/projects/")
    page.get_by_label("Project name").fill("Search")
    page.get_by_role("button", name="Create project").click()
    page.goto(f"{base}/quickstart/")
    expect(step(page, "Create a project")).to_contain_text("Project Search.")
    expect(step(page, "Create an environment").locator(".state")).to_have_text("next")
    for title in ("Create an API key", "Make your first request"):
        expect(step(page, title).locator(".state")).to_have_text("to do")
    expect(page.locator("#steps")).not_to_contain_text(first_key.hint)

    page.get_by_label("Environment name").fill("staging")
    page.get_by_role("button", name="Create environment").click()
    expect(step(page, "Create an environment")).to_contain_text("Environment staging.")
    expect(step(page, "Create an API key").locator(".state")).to_have_text("next")
    step(page, "Create an API key").get_by_text("New API Key", exact=True).click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.get_by_label("Environment").locator("option:checked")).to_have_text(
        "Search / staging"
    )
    dialog.get_by_label("API Key Name").fill("Search indexer")
    dialog.get_by_role("button", name="Create").click()
    key = dialog.locator("input[data-secret]").input_value()
    assert key.startswith("kd_test_")
    dialog.get_by_role("button", name="Copy").click()
    dialog.get_by_role("button", name="Close").click()

    expect(step(page, "Create an API key").locator(".state")).to_have_text("done")
    expect(step(page, "Create an API key")).to_contain_text("Search indexer")
    expect(step(page, "Make your first request")).to_contain_text(f"{key[:12]}…{key[-4:]}")
    expect(page.locator("#steps")).not_to_contain_text(first_key.hint)
    assert problems(console) == []


def test_the_demo_data_offers_development_for_a_first_key(page: Page, console, base_url_live):
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    submit_sign_in(page, base_url_live, "demo")
    expect(page).to_have_url(f"{base_url_live}/quickstart/")
    expect(step(page, "Create an environment")).to_contain_text("Environment development.")
    step(page, "Create an API key").get_by_text("New API Key", exact=True).click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.get_by_label("Environment").locator("option:checked")).to_have_text(
        "demo / development"
    )
    dialog.get_by_label("API Key Name").fill("first")
    dialog.get_by_role("button", name="Create").click()
    assert dialog.locator("input[data-secret]").input_value().startswith("kd_test_")
    assert problems(console) == []
