"""Buttons say what they do (issue 10 item 5): secondary actions look secondary, and
`Revoke selected` waits for a selection, counts it, and has a select-all beside it."""

import pytest
from playwright.sync_api import Page, expect

from keys.models import ApiKey, issue_api_key, revoke_api_key
from tests.browser.conftest import problems

pytestmark = pytest.mark.browser


def background(locator):
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def test_secondary_actions_do_not_look_primary(page: Page, console, sign_in, alice, api_key):
    key, _ = api_key
    page.goto(f"{sign_in(alice)}/keys/{key.public_id}/")
    actions = page.locator("#key-page .toolbar .actions")
    transparent = "rgba(0, 0, 0, 0)"
    assert background(actions.get_by_text("Edit", exact=True)) == transparent
    assert background(actions.get_by_text("Rotate", exact=True)) == transparent
    assert background(actions.get_by_text("Revoke", exact=True)) != transparent  # danger

    actions.get_by_text("Edit", exact=True).click()
    cancel = page.get_by_role("link", name="Cancel")
    save = page.get_by_role("button", name="Save changes")
    assert background(cancel) == transparent
    assert background(save) != transparent
    assert cancel.evaluate("e => getComputedStyle(e).color") != "rgb(255, 255, 255)"
    assert problems(console) == []


def test_revoke_selected_waits_for_a_selection_and_counts_it(
    page: Page, console, sign_in, alice, development, production, api_key
):
    others = [
        issue_api_key(environment=production, name=f"worker {n}", by=alice)[0] for n in range(3)
    ]
    gone, _ = issue_api_key(environment=development, name="old", by=alice)
    revoke_api_key(key=gone, by=alice, reason="old")
    page.goto(f"{sign_in(alice)}/keys/")
    bulk = page.get_by_role("button", name="Revoke selected")
    select_all = page.get_by_role("checkbox", name="Select all keys on this page")
    rows = page.locator("#admin-table input[type=checkbox][form=bulk-revoke]")
    expect(rows).to_have_count(4)  # the revoked key has no box
    expect(bulk).to_be_disabled()
    expect(bulk).to_have_text("Revoke selected")

    rows.nth(1).check()
    expect(bulk).to_be_enabled()
    expect(bulk).to_have_text("Revoke selected (1)")
    expect(select_all).not_to_be_checked()
    assert select_all.evaluate("box => box.indeterminate")

    select_all.check()
    for box in rows.all():
        expect(box).to_be_checked()
    expect(bulk).to_have_text("Revoke selected (4)")
    select_all.uncheck()
    expect(bulk).to_be_disabled()
    expect(bulk).to_have_text("Revoke selected")

    # A filter redraws the table: the selection starts over, and so does the button.
    select_all.check()
    environment = page.locator("#filters").get_by_label("Environment")
    environment.select_option(label="Billing API / production")
    expect(rows).to_have_count(3)
    expect(bulk).to_be_disabled()
    select_all.check()
    expect(bulk).to_have_text("Revoke selected (3)")
    bulk.click()
    dialog = page.locator("dialog[data-modal][open]")
    expect(dialog.get_by_role("heading")).to_have_text("Revoke 3 keys")
    dialog.get_by_label("Reason").fill("retired")
    dialog.get_by_role("button", name="Confirm revocation").click()
    expect(page.locator("#flash [role=status]")).to_have_text("Revoked 3 keys.")
    expect(rows).to_have_count(0)
    expect(select_all).to_be_hidden()
    expect(bulk).to_be_disabled()
    assert {k.name for k in ApiKey.objects.filter(revoked_reason="retired")} == {
        k.name for k in others
    }
    assert problems(console) == []
