"""Names are unique where slugs are (issue 10 item 6): a taken project or environment name
gets a clear error on the form, never a 500 nor a silent second `staging` tab."""

import pytest
from playwright.sync_api import Page, expect

from environments.models import Environment, Project
from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def only_the_expected_422(messages):
    return [line for line in problems(messages) if "422" not in line]


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
