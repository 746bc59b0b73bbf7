"""Who is asking, in which organization, with what role: resolved once per request."""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, overload
from urllib.parse import urlencode

from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ImmediateHttpResponse, ReauthenticationRequired
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from environments.models import Membership

SESSION_KEY = "organization_id"


class SignedInRequest(HttpRequest):
    """A request `login_required` let through: its user is a person, not AnonymousUser."""

    user: User


class OrgRequest(SignedInRequest):
    """A signed-in request inside one organization, as `membership_required` hands it to a
    view (it sets `membership` and `memberships`; django-htmx's middleware sets `htmx`)."""

    htmx: HtmxDetails
    membership: Membership
    memberships: list[Membership]  # all of the user's, oldest first, for the navigation


type View = Callable[..., HttpResponseBase]


def current_membership(
    request: HttpRequest, memberships: list[Membership], *, remember: bool = True
) -> Membership | None:
    """The membership the session has chosen among `memberships`, else the oldest one (which
    the session then remembers, unless told not to)."""
    chosen = request.session.get(SESSION_KEY)
    membership = next((m for m in memberships if m.organization_id == chosen), None)
    membership = membership or (memberships[0] if memberships else None)
    if remember and membership and membership.organization_id != chosen:
        request.session[SESSION_KEY] = membership.organization_id
    return membership


def load_membership(request: OrgRequest, *, remember: bool = True) -> Membership | None:
    """The user's memberships, kept on the request for the navigation (one query, they are few
    per user), and the one the session has chosen."""
    memberships = list(Membership.objects.for_user(request.user).order_by("created_at", "id"))
    request.memberships = memberships
    return current_membership(request, memberships, remember=remember)


def go(request: HttpRequest, url: str) -> HttpResponse:
    """Leave the page: htmx follows a client redirect, a plain request a 302."""
    return HttpResponseClientRedirect(url) if getattr(request, "htmx", False) else redirect(url)


@overload
def membership_required(view: View, *, allow: str | None = None) -> View: ...
@overload
def membership_required(
    view: None = None, *, allow: str | None = None
) -> Callable[[View], View]: ...
def membership_required(
    view: View | None = None, *, allow: str | None = None
) -> View | Callable[[View], View]:
    """Sign-in, then an organization; `allow` names the Membership capability the view needs
    (e.g. "can_create_keys"), answered with 403 when the role lacks it."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: OrgRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = load_membership(request)
            if membership is None:
                return TemplateResponse(request, "dashboard/no_organization.html", status=403)
            # Set before the role check, so the 403 page still shows the organization.
            request.membership = membership
            if allow and not getattr(membership, allow):
                raise PermissionDenied(f"Your role ({membership.role}) cannot do this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


def signed_in_recently(request: HttpRequest) -> bool:
    """Whether the last sign-in or re-authentication (password, code or passkey; allauth
    keeps their times in the session) is under REAUTHENTICATION_TIMEOUT seconds old."""
    records = get_authentication_records(request, request.user)
    if not records:
        return False
    return time.time() - records[-1]["at"] < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def ask_for_a_recent_sign_in(request: OrgRequest) -> None:
    """Before a sensitive action: unless the person signed in recently, allauth asks for the
    password (or a passkey or code) and then carries on. Its middleware keeps a plain POST and
    replays it afterwards; an htmx request would swap the password page into a dialog, so the
    whole page goes there instead and comes back to where the person was."""
    if signed_in_recently(request):
        return
    if getattr(request, "htmx", False):
        back = request.htmx.current_url_abs_path or "/"
        url = f"{reverse('account_reauthenticate')}?{urlencode({'next': back})}"
        raise ImmediateHttpResponse(HttpResponseClientRedirect(url))
    raise ReauthenticationRequired()


def recent_sign_in_required(view: View) -> View:
    """`ask_for_a_recent_sign_in` before the view (inside `membership_required`)."""

    @wraps(view)
    def wrapper(request: OrgRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        ask_for_a_recent_sign_in(request)
        return view(request, *args, **kwargs)

    return wrapper
