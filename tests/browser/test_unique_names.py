"""Projects and environments (issue 10 item 6): a taken name gets a clear error on the form,
never a 500 nor a silent second `staging` tab; renaming; archiving with a reason."""

import pytest
from playwright.sync_api import Page, expect

from environments.models import Environment, Project
from keys.models import issue_api_key
from tests.browser.conftest import only_the_expected_422

pytestmark = pytest.mark.browser


def test_a_taken_name_is_refused_on_the_form(page: Page, console, sign_in, alice, development):
    base = sign_in(alice)
    page.goto(f"{base}/projects/")
    page.get_by_label("Project name").fill("billing api")
    page.get_by_role("button", name="Create project").click()
    field = page.locator(".field.invalid")
    expect(field).to_contain_text("A project called “Billing API” already exists")
    expect(page.get_by_label("Project name")).to_have_value("billing api")
    assert Project.objects.count() == 1

    page.goto(f"{base}/projects/billing-api/")
    page.get_by_label("Environment name").fill("Development")
    page.get_by_role("button", name="Create environment").click()
    expect(page.locator(".field.invalid")).to_contain_text(
        "Billing API already has an environment called “development”"
    )
    page.get_by_label("Environment name").fill("staging")
    page.get_by_role("button", name="Create environment").click()
    expect(page.get_by_role("navigation", name="Environments")).to_contain_text("staging")
    assert sorted(Environment.objects.values_list("slug", flat=True)) == [
        "development",
        "staging",
    ]
    assert only_the_expected_422(console) == []


def test_rename_then_archive_an_environment(page: Page, console, sign_in, alice, development):
    key, plaintext = issue_api_key(environment=development, name="old worker", by=alice)
    base = sign_in(alice)
    page.goto(f"{base}/projects/billing-api/")
    page.get_by_role("link", name="Rename development").click()
    expect(page.get_by_label("Environment name")).to_have_value("development")
    page.get_by_label("Environment name").fill("dev")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator(".messages")).to_contain_text("Environment renamed to dev.")
    expect(page).to_have_url(f"{base}/projects/billing-api/environments/development/keys/")

    page.goto(f"{base}/projects/billing-api/")
    page.get_by_role("link", name="Archive dev").click()
    expect(page.get_by_role("heading", name="Archive dev")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Its 1 usable key is revoked now")
    page.get_by_role("button", name="Archive environment").click()
    expect(page.locator(".field.invalid")).to_contain_text("This field is required")
    page.get_by_label("Reason").fill("replaced by staging")
    page.get_by_role("button", name="Archive environment").click()
    expect(page.locator(".messages")).to_contain_text("Archived dev; revoked 1 key.")
    expect(page.locator("tr", has_text="dev")).to_contain_text("archived")
    response = page.request.get(
        f"{base}/v1/auth/verify", headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert response.status == 401
    page.goto(f"{base}/keys/{key.public_id}/")
    expect(page.locator("#key-page .facts .status")).to_have_text("revoked")
    expect(page.locator("#key-page .facts")).to_contain_text("replaced by staging")
    assert only_the_expected_422(console) == []
