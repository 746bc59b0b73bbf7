from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from environments.access import OrgRequest, load_membership


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The organization the page is in, and the others the user may switch to.

    Both come from what the access decorator already loaded (`request.membership`,
    `request.memberships`); pages outside an organization's views (changing one's password,
    an error page) look the membership up, so they still show the navigation."""
    membership = getattr(request, "membership", None)
    if membership is None and getattr(request, "user", None) and request.user.is_authenticated:
        # Signed in: load_membership gives it the memberships an OrgRequest has.
        signed_in = cast(OrgRequest, request)
        membership = load_membership(signed_in, remember=False)  # a page: no session write
    if membership is None:
        return {}
    others = [
        m.organization
        for m in getattr(request, "memberships", ())
        if m.organization_id != membership.organization_id
    ]
    return {
        "membership": membership,
        "organization": membership.organization,
        "other_organizations": others,
    }


def accounts(request: HttpRequest) -> dict[str, Any]:
    """Whether anyone may sign up (REGISTRATION_OPEN), for the links to sign-up; whether an
    organization still waits for this person's second factor (asked only by pages that say so)."""
    from dashboard.middleware import setup_step

    def two_factor_required() -> bool:
        user = request.user
        return user.is_authenticated and setup_step(user) == reverse("mfa_index")

    return {
        "registration_open": settings.REGISTRATION_OPEN,
        "two_factor_required": two_factor_required,
    }


# The two choices the page frame remembers, as cookies the server reads so that the first paint
# is already right (an inline script could not do it under the CSP). Set by static/js/chrome.js.
THEME_COOKIE = "keydesk_theme"
SIDEBAR_COOKIE = "keydesk_sidebar"
THEMES = ("light", "dark")

# The main navigation's sections by path, longest prefix first: a page marks its section's link.
SECTIONS = (
    ("/settings/webhooks/", "webhooks"),
    ("/settings/", "settings"),
    ("/quickstart/", "quickstart"),
    ("/projects/", "projects"),
    ("/keys/", "keys"),
    ("/playground/", "playground"),
    ("/members/", "members"),
    ("/audit/", "audit"),
    ("/v1/docs", "api-docs"),
)


def chrome(request: HttpRequest) -> dict[str, Any]:
    """The theme (None: follow the system's preference), whether the sidebar is collapsed, and
    which section of the main navigation the page belongs to."""
    theme = request.COOKIES.get(THEME_COOKIE)
    section = next((name for prefix, name in SECTIONS if request.path.startswith(prefix)), None)
    return {
        "theme": theme if theme in THEMES else None,
        "sidebar_collapsed": request.COOKIES.get(SIDEBAR_COOKIE) == "collapsed",
        "nav_section": section,
    }
