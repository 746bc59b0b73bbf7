"""axe-core on every dashboard page, in both themes, at 1280 px and at phone width (issue 12):
no serious or critical violation (colour contrast of both palettes included).

axe-core is vendored: tests/browser/vendor/axe-core/ holds `axe.min.js` 4.14.1 from npm
(`npm pack axe-core`) with its licence (MPL-2.0). It is injected as a Playwright init script,
which the page's CSP does not apply to, so the dashboard's CSP stays as it ships.

A new page goes in PAGES (or DIALOGS, SIGNED_OUT_PAGES): one line, and it is checked in every
theme at every width.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from audit.models import Webhook
from config.pagination import OLDER, PAGE_SIZE
from keys.models import NEWEST_FIRST, ApiKey, issue_api_key
from tests.browser.conftest import create_key
from tests.browser.phone import PHONE, phone_page, signed_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# Signed in as alice (an admin of Acme). Placeholders: {project}, {environment}, {key},
# {member} (bob's membership), {webhook}, {production} and {second_page} (a cursor of its tab).
PAGES = [
    "/quickstart/",
    "/projects/",
    "/projects/{project}/",
    "/projects/{project}/rename/",
    "/projects/{project}/archive/",
    "/projects/{project}/environments/{environment}/keys/",
    "/projects/{project}/environments/{environment}/keys/new/",
    "/projects/{project}/environments/{environment}/rename/",
    "/projects/{project}/environments/{environment}/archive/",
    "/projects/{project}/environments/{environment}/tags/",
    "/keys/",
    "/keys/?status=revoked",
    "/keys/?cursor=not-one-it-gave",  # the note that a page link was refused
    "/projects/{project}/environments/{production}/keys/?cursor={second_page}",  # the pager
    "/keys/new/",
    "/keys/{key}/",
    "/keys/{key}/edit/",
    "/keys/{key}/rotate/",
    "/keys/revoke/?keys={key}",
    "/playground/",
    "/members/",
    "/members/new/",
    "/members/{member}/remove/",
    "/settings/",
    "/settings/webhooks/",
    "/settings/webhooks/new/",
    "/settings/webhooks/{webhook}/",
    "/audit/",
    "/accounts/password/",
    "/accounts/sessions/",
    "/accounts/email/",
    "/accounts/3rdparty/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/webauthn/add/",
    "/accounts/2fa/recovery-codes/generate/",
    "/no-such-page/",  # the 404 page
]

# (page, the button that opens a dialog on it): axe runs with the dialog open.
DIALOGS = [
    ("/projects/{project}/environments/{environment}/keys/", "New API Key"),
    ("/keys/", "Revoke"),
    ("/keys/{key}/", "Rotate"),
    ("/members/", "Add member"),
    ("/members/", "Remove"),
    ("/quickstart/", "New API Key"),
]

SIGNED_OUT_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]

WIDTHS = {"laptop": {"width": 1280, "height": 800}, "phone": PHONE}
REPORTED = ("serious", "critical")


def axe_violations(page: Page) -> list[str]:
    """The serious and critical violations axe finds on the page as it is now, one line per
    rule and element: enough to find and fix it without running axe again."""
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['impact']} {violation['id']} ({violation['help']}): "
        f"{' '.join(map(str, node['target']))} — {node['failureSummary'].splitlines()[-1].strip()}"
        for violation in results["violations"]
        if violation["impact"] in REPORTED
        for node in violation["nodes"][:5]
    ]


def axe_page(browser: Browser, base_url, theme, width) -> Page:
    """A new page at `width`, its theme cookie saying `theme`, axe loaded into every document."""
    if width == "phone":
        page = phone_page(browser, base_url)
    else:
        page = browser.new_context(viewport=WIDTHS[width]).new_page()
    page.context.add_cookies([{"name": "keydesk_theme", "value": theme, "url": base_url}])
    page.add_init_script(path=AXE)
    return page


@pytest.fixture
def places(alice, bob, acme, development, production, api_key):
    """The objects PAGES' placeholders name: a project with two environments and a few keys."""
    key, _ = api_key
    issue_api_key(environment=production, name="Billing worker", by=bob, write=True)
    # Enough keys for two pages of production's tab (without an audit event each).
    for n in range(55):
        ApiKey.issue(environment=production, name=f"Worker {n}")
    fiftieth = production.api_keys.order_by("-created_at", "-id")[PAGE_SIZE - 1]
    webhook = Webhook.objects.create(organization=acme, url="https://hooks.example/", secret="s")
    return {
        "project": development.project.slug,
        "environment": development.slug,
        "key": key.public_id,
        "production": production.slug,
        "second_page": NEWEST_FIRST.cursor(OLDER, fiftieth, f"environment-{production.pk}"),
        "member": bob.memberships.get().pk,
        "webhook": webhook.pk,
    }


def check(page: Page, theme, found, label):
    """Run axe on the page as it stands; record what it finds under `label`."""
    expect(page.locator("html")).to_have_attribute("data-theme", theme)
    problems = axe_violations(page)
    if problems:
        found[label] = problems


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_violation(
    browser, live_server, transactional_db, places, theme, width
):
    base = live_server.url
    page = axe_page(browser, base, theme, width)
    found: dict[str, list[str]] = {}
    for path in SIGNED_OUT_PAGES:
        page.goto(f"{base}{path}")
        check(page, theme, found, path)
    signed_in(page, base, "alice")
    for path in PAGES:
        url = path.format(**places)
        page.goto(f"{base}{url}")
        expect(page.locator("main h1, main h2").first).to_be_visible()
        check(page, theme, found, url)
    for path, opener in DIALOGS:
        url = path.format(**places)
        page.goto(f"{base}{url}")
        page.get_by_role("button", name=opener, exact=True).first.click()
        expect(page.locator("dialog[open]")).to_be_visible()
        check(page, theme, found, f"{url} with the {opener!r} dialog")
    if width == "phone":  # the menu, open
        page.goto(f"{base}/projects/")
        page.get_by_role("button", name="sidebar").click()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        check(page, theme, found, "the phone menu")
    # The dialog that shows a new key once.
    page.goto(f"{base}{DIALOGS[0][0].format(**places)}")
    create_key(page, "Axe")
    check(page, theme, found, "the new key's dialog")
    page.context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in found.items())
    assert found == {}, f"axe found serious or critical violations ({theme}, {width}):\n{report}"


def test_the_check_reports_a_violation(browser, live_server, transactional_db, alice):
    """The harness itself: axe loads despite the CSP, and a contrast failure is reported."""
    page = axe_page(browser, live_server.url, "dark", "laptop")
    page.goto(f"{live_server.url}/accounts/login/")
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
        const faint = document.createElement("p");
        faint.textContent = "Hard to read";
        Object.assign(faint.style, {color: "#333", background: "#222"});
        document.querySelector("main").append(faint);
    }"""
    )
    (problem,) = axe_violations(page)
    assert problem.startswith("serious color-contrast") and "main > p" in problem
    page.context.close()
