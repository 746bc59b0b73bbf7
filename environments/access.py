"""Who is asking, in which organization, with what role: resolved once per request."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django_htmx.middleware import HtmxDetails

from environments.models import Membership

SESSION_KEY = "organization_id"


class OrgRequest(HttpRequest):
    """A signed-in request inside one organization (see `membership_required`)."""

    htmx: HtmxDetails
    membership: Membership
    memberships: list[Membership]  # all of the user's, oldest first, for the navigation


def current_membership(request, memberships):
    """The membership the session has chosen among `memberships`, else the oldest one."""
    chosen = request.session.get(SESSION_KEY)
    membership = next((m for m in memberships if m.organization_id == chosen), None)
    membership = membership or (memberships[0] if memberships else None)
    if membership and membership.organization_id != chosen:
        request.session[SESSION_KEY] = membership.organization_id
    return membership


def membership_required(view=None, *, allow=None):
    """Sign-in, then an organization; `allow` names the Membership capability the view needs
    (e.g. "can_create_keys"), answered with 403 when the role lacks it."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            # One query for the view and the navigation alike (they are few per user).
            memberships = list(
                Membership.objects.for_user(request.user).order_by("created_at", "id")
            )
            request.memberships = memberships
            membership = current_membership(request, memberships)
            if membership is None:
                return TemplateResponse(request, "dashboard/no_organization.html", status=403)
            # Set before the role check, so the 403 page still shows the organization.
            request.membership = membership
            if allow and not getattr(membership, allow):
                raise PermissionDenied(f"Your role ({membership.role}) cannot do this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator
