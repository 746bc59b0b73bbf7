from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from audit.models import Action, client_ip, record
from dashboard.forms import SignInForm, SignUpForm
from dashboard.quickstart import Quickstart
from environments.access import OrgRequest, membership_required
from environments.forms import EnvironmentForm, ProjectForm
from environments.models import (
    Organization,
    create_environment,
    create_organization,
    create_project,
)
from keys.models import ApiKey
from keys.views import verify_url

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


class SignInView(LoginView):
    """Django's sign-in, recording each success and each real failed attempt."""

    template_name = "dashboard/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        for organization in chains_of(user.get_username()):
            record(
                action=Action.SIGN_IN, organization=organization, actor=user, request=self.request
            )
        return response

    def form_invalid(self, form):
        # Bounded like the field itself: the raw POST could carry megabytes into the log,
        # and NUL characters that PostgreSQL cannot store.
        username = form.data.get("username", "").replace("\x00", "").strip()
        username = username[:USERNAME_MAX_LENGTH]
        # Attempts past the lockout are not recorded one by one: the failures that caused it
        # were, and the log must not grow at an attacker's pace.
        failures = getattr(self.request, "axes_failures_since_start", 0)
        past_lockout = failures > settings.AXES_FAILURE_LIMIT
        if username and form.data.get("password") and not past_lockout:
            record_failed_sign_in(self.request, username)
        return super().form_invalid(form)


def client_address(request):
    """django-axes' view of the client's address (see AXES_CLIENT_IP_CALLABLE)."""
    return client_ip(request) or ""


def chains_of(username):
    """The organizations whose chains record this account's sign-ins: each one it belongs
    to, else [None], the chain of events with no organization (so no attempt goes unlogged)."""
    return list(Organization.objects.filter(memberships__user__username=username)) or [None]


def record_failed_sign_in(request, username):
    for organization in chains_of(username):
        record(
            action=Action.SIGN_IN_FAILED,
            organization=organization,
            actor=request.user,  # anonymous: the attempt is not the system's doing
            actor_name=username,
            request=request,
            metadata={"username": username},
        )


class ChangePasswordView(PasswordChangeView):
    """Django's password change (old password, new one twice, the validators), recorded.

    Members added by an admin start with a one-time password: this is where they replace it.
    Django keeps this session signed in and ends the user's other sessions."""

    template_name = "dashboard/password_change.html"
    success_url = reverse_lazy("dashboard:home")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            for organization in chains_of(self.request.user.get_username()):
                record(
                    action=Action.PASSWORD_CHANGED,
                    organization=organization,
                    actor=self.request.user,
                    target=self.request.user,
                    request=self.request,
                )
        messages.success(self.request, "Your password has been changed.")
        return response


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        for organization in chains_of(request.user.get_username()):
            record(
                action=Action.SIGN_OUT,
                organization=organization,
                actor=request.user,
                request=request,
            )
    logout(request)
    return redirect("dashboard:login")


@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    # Not `request.POST or None`: an empty POST must be bound, and show what is missing.
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            create_organization(name=form.cleaned_data["organization"], admin=user, request=request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("dashboard:quickstart")
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "dashboard/signup.html", {"form": form}, status=status)


@require_safe
@membership_required
def home(request: OrgRequest):
    keys = ApiKey.objects.for_organization(request.membership.organization).active()
    return redirect("environments:projects" if keys.exists() else "dashboard:quickstart")


def render_quickstart(request: OrgRequest, *, project_form=None, environment_form=None, status=200):
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
            "verify_url": verify_url(request),
        },
        status=status,
    )


@require_safe
@vary_on_headers("HX-Request")
@membership_required
def quickstart(request: OrgRequest):
    return render_quickstart(request)


@require_POST
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_projects")
def quickstart_project(request: OrgRequest):
    form = ProjectForm(request.POST, organization=request.membership.organization)
    if not form.is_valid():
        return render_quickstart(request, project_form=form, status=422)
    create_project(
        organization=request.membership.organization,
        name=form.cleaned_data["name"],
        by=request.user,
        request=request,
    )
    return render_quickstart(request) if request.htmx else redirect("dashboard:quickstart")


@require_POST
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_projects")
def quickstart_environment(request: OrgRequest):
    project = Quickstart(request.membership.organization).project
    form = EnvironmentForm(request.POST, project=project)
    if project is None or not form.is_valid():
        if project is None:
            form.add_error(None, "Create a project first.")
        return render_quickstart(request, environment_form=form, status=422)
    create_environment(
        project=project,
        name=form.cleaned_data["name"],
        is_production=form.cleaned_data["is_production"],
        by=request.user,
        request=request,
    )
    return render_quickstart(request) if request.htmx else redirect("dashboard:quickstart")
