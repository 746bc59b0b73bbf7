"""Members page (admins only): add a member, change a role, remove a member."""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from dashboard.forms import MemberAddForm, RoleForm
from dashboard.members import (
    LastAdminError,
    Removal,
    add_member,
    change_role,
    personal_keys,
    remove_member,
)
from environments.access import (
    OrgRequest,
    ask_for_a_recent_sign_in,
    go,
    membership_required,
    recent_sign_in_required,
)
from environments.models import Membership, Role


def membership_for(request: OrgRequest, membership_id: int) -> Membership:
    """A membership of the current organization, or 404."""
    memberships = Membership.objects.for_organization(request.membership.organization)
    return get_object_or_404(memberships.select_related("user", "organization"), pk=membership_id)


def render_members(
    request: OrgRequest, *, error: str | None = None, notice: str | None = None, status: int = 200
) -> TemplateResponse:
    organization = request.membership.organization
    memberships = (
        Membership.objects.for_organization(organization)
        .select_related("user")
        .order_by("user__username")
    )
    admins = [m for m in memberships if m.is_admin]
    template = "dashboard/members.html"
    if request.htmx:
        template += "#member-table"
    return TemplateResponse(
        request,
        template,
        {
            "memberships": memberships,
            "only_admin": admins[0] if len(admins) == 1 else None,
            "roles": Role.choices,
            "error": error,
            "notice": notice,
        },
        status=status,
    )


@require_safe
@vary_on_headers("HX-Request")
@membership_required(allow="is_admin")
def member_list(request: OrgRequest) -> TemplateResponse:
    return render_members(request)


@require_http_methods(["GET", "POST"])
@never_cache  # the answer to a POST holds the new member's password
@vary_on_headers("HX-Request")
@membership_required(allow="is_admin")
@recent_sign_in_required
def member_add(request: OrgRequest) -> TemplateResponse:
    """`Add member`: the form, then the account's one-time password, shown once."""
    form = MemberAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        membership, password = add_member(
            organization=request.membership.organization,
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            by=request.user,
            request=request,
        )
        template = "dashboard/members_created.html"
        context = {"member": membership, "password": password}
        if not request.htmx:
            return TemplateResponse(request, template, context)
        response = TemplateResponse(request, template + "#member-secret", context)
        return trigger_client_event(response, "membersChanged")
    status = 422 if request.method == "POST" else 200
    template = "dashboard/members_new.html"
    if request.htmx:
        template += "#member-dialog"
    return TemplateResponse(request, template, {"form": form}, status=status)


@require_POST
@vary_on_headers("HX-Request")
@membership_required(allow="is_admin")
def member_role(request: OrgRequest, membership_id: int) -> HttpResponse:
    """`Change role`; htmx gets the table back, a plain POST a redirect to it."""
    membership = membership_for(request, membership_id)
    ask_for_a_recent_sign_in(request)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return render_members(request, error="Choose admin, manager, member or viewer.", status=422)
    try:
        membership = change_role(
            membership=membership, role=form.cleaned_data["role"], by=request.user, request=request
        )
    except Membership.DoesNotExist:  # removed meanwhile
        raise Http404 from None
    except LastAdminError as error:
        return render_members(request, error=str(error), status=422)
    notice = f"{membership.user.get_username()} is now {membership.get_role_display().lower()}."
    if membership.user_id == request.user.pk and not membership.is_admin:
        # Demoted themselves: this page is no longer theirs.
        messages.success(request, notice)
        return go(request, reverse("dashboard:home"))
    if request.htmx:
        return render_members(request, notice=notice)
    messages.success(request, notice)
    return redirect("dashboard:members")


def removed(request: OrgRequest, membership: Membership, removal: Removal) -> HttpResponse:
    """After a removal: back to the members page, or to sign-in for who removed themselves."""
    revoked = len(removal.revoked_keys)
    message = (
        f"{removal.username} was removed. {revoked} personal key"
        f"{'' if revoked == 1 else 's'} revoked; their sessions have ended."
    )
    if membership.user_id == request.user.pk:
        logout(request)  # their own session is gone already: start a clean one
        return go(request, reverse("dashboard:login"))
    if request.htmx:
        response = TemplateResponse(request, "flash.html", {"message": message})
        return trigger_client_event(response, "membersChanged")
    messages.success(request, message)
    return redirect("dashboard:members")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@membership_required(allow="is_admin")
def member_remove(request: OrgRequest, membership_id: int) -> HttpResponse:
    """Confirm, then remove: the member's personal keys are revoked and their sessions end."""
    membership = membership_for(request, membership_id)
    ask_for_a_recent_sign_in(request)
    error = None
    if request.method == "POST":
        try:
            removal = remove_member(membership=membership, by=request.user, request=request)
        except Membership.DoesNotExist:
            raise Http404 from None
        except LastAdminError as exc:
            error = str(exc)
        else:
            return removed(request, membership, removal)
    context = {
        "member": membership,
        "personal_keys": personal_keys(membership.user, membership.organization).count(),
        "error": error,
    }
    template = "dashboard/members_remove.html"
    if request.htmx:
        template += "#remove-dialog"
    return TemplateResponse(request, template, context, status=422 if error else 200)
