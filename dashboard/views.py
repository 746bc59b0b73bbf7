from typing import Any

from allauth.account import views as account_views
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.account.utils import get_next_redirect_url
from allauth.account.views import PasswordChangeView as AllauthPasswordChangeView
from allauth.account.views import SignupView
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from audit.models import Action
from dashboard.accounts import REAUTHENTICATE_WITH_PROVIDER, record_for_user
from dashboard.forms import OrganizationSettingsForm
from dashboard.quickstart import Quickstart
from environments.access import (
    OrgRequest,
    SignedInRequest,
    membership_required,
    recent_sign_in_required,
)
from environments.forms import EnvironmentForm, ProjectForm
from environments.models import update_organization
from keys.models import ApiKey
from keys.snippets import first_request
from keys.views import hygiene, verify_url


def sessions_of(user: User) -> list[UserSession]:
    sessions = UserSession.objects.purge_and_list(user)
    return sorted(sessions, key=lambda s: s.last_seen_at or s.created_at, reverse=True)


class PasswordChangeView(AllauthPasswordChangeView):
    """allauth's password change, with the person's sessions beside it."""

    def dispatch(self, request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # An account made through single sign-on has no password to change (allauth would
        # send it to set one): the page still shows its sessions, and offers to set one.
        if request.method == "GET" and not request.user.has_usable_password():
            context = {"sessions": sessions_of(request.user), "no_password": True}
            return TemplateResponse(request, "account/password_change.html", context)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(sessions=sessions_of(self.request.user), **kwargs)


class SignUpView(SignupView):
    """allauth's sign-up; the form's `signup` creates the user's organization."""

    http_method_names = ["get", "post"]

    def form_valid(self, form: Any) -> HttpResponse:
        # The account and its organization together, or neither.
        with transaction.atomic():
            return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 422
        return response


@require_safe
def password_reset(request: HttpRequest) -> TemplateResponse:
    """Keydesk has no mail server to send a reset link: an admin adds the person again."""
    return TemplateResponse(request, "account/password_reset.html")


@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """allauth's re-authentication (the password, or a code or passkey); an account with none
    of them (created through single sign-on) confirms it is them by signing in again with its
    provider, which counts as a recent sign-in (environments.access.signed_in_recently)."""
    methods = get_account_adapter(request).get_reauthentication_methods(request.user)
    if methods and methods[0]["id"] != REAUTHENTICATE_WITH_PROVIDER:
        return account_views.reauthenticate(request)
    providers = []
    for account in SocialAccount.objects.filter(user=request.user).order_by("pk"):
        try:
            providers.append(account.get_provider(request))
        except Http404:  # a provider no longer configured
            continue
    next_url = get_next_redirect_url(request) or ""
    return TemplateResponse(
        request, "account/reauthenticate_sso.html", {"providers": providers, "next": next_url}
    )


@require_safe
def email_addresses(request: HttpRequest) -> TemplateResponse:
    """The person's addresses, and which are verified (only a sign-in provider verifies one:
    Keydesk sends no mail). Changing them is not offered here: an address an admin typed or a
    provider vouched for decides which account a single sign-on reaches."""
    addresses = EmailAddress.objects.filter(user=request.user).order_by("-primary", "email")
    return TemplateResponse(request, "account/email.html", {"addresses": addresses})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponseRedirect:
    if request.user.is_authenticated:
        record_for_user(request, request.user, Action.SIGN_OUT)
    logout(request)
    return redirect("dashboard:login")


@require_http_methods(["GET", "POST"])
@membership_required(allow="is_admin")
@recent_sign_in_required
def organization_settings(request: OrgRequest) -> HttpResponse:
    organization = request.membership.organization
    form = OrganizationSettingsForm(
        request.POST if request.method == "POST" else None, instance=organization
    )
    if request.method == "POST" and form.is_valid():
        # The form has set the new values on the instance; read them, then start from the row.
        changes = {field: form.cleaned_data[field] for field in form.Meta.fields}
        organization.refresh_from_db()
        update_organization(
            organization=organization, by=request.user, changes=changes, request=request
        )
        messages.success(request, "Settings saved.")
        return redirect("dashboard:settings")
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "dashboard/settings.html", {"form": form}, status=status)


@require_safe
@membership_required
def home(request: OrgRequest) -> HttpResponseRedirect:
    keys = ApiKey.objects.for_organization(request.membership.organization).active()
    return redirect("environments:projects" if keys.exists() else "dashboard:quickstart")


def render_quickstart(
    request: OrgRequest,
    *,
    project_form: ProjectForm | None = None,
    environment_form: EnvironmentForm | None = None,
    status: int = 200,
) -> TemplateResponse:
    organization = request.membership.organization
    quickstart = Quickstart(organization)
    template = "dashboard/quickstart.html"
    if request.htmx:
        template += "#steps"
    return TemplateResponse(
        request,
        template,
        {
            "quickstart": quickstart,
            "project_form": project_form or ProjectForm(organization=organization),
            "environment_form": environment_form or EnvironmentForm(project=quickstart.project),
            "hygiene": None if request.htmx else hygiene(request),
            "snippets": first_request(verify_url(request)),
        },
        status=status,
    )


@require_safe
@vary_on_headers("HX-Request")
@membership_required
def quickstart(request: OrgRequest) -> TemplateResponse:
    return render_quickstart(request)


@require_POST
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_projects")
def quickstart_project(request: OrgRequest) -> HttpResponse:
    form = ProjectForm(request.POST, organization=request.membership.organization)
    if not form.is_valid():
        return render_quickstart(request, project_form=form, status=422)
    form.create(by=request.user, request=request)
    return render_quickstart(request) if request.htmx else redirect("dashboard:quickstart")


@require_POST
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_projects")
def quickstart_environment(request: OrgRequest) -> HttpResponse:
    project = Quickstart(request.membership.organization).project
    form = EnvironmentForm(request.POST, project=project)
    if project is None or not form.is_valid():
        if project is None:
            form.add_error(None, "Create a project first.")
        return render_quickstart(request, environment_form=form, status=422)
    form.create(by=request.user, request=request)
    return render_quickstart(request) if request.htmx else redirect("dashboard:quickstart")
