from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from environments.access import OrgRequest, membership_required
from environments.models import Environment
from keys.forms import KeyCreateForm, environment_choices
from keys.models import Kind, issue_api_key


def environment_for(request: OrgRequest, project_slug, environment_slug):
    """An environment of the current organization, or 404."""
    environments = Environment.objects.for_organization(request.membership.organization)
    return get_object_or_404(
        environments.select_related("project"),
        project__slug=project_slug,
        slug=environment_slug,
    )


@require_safe
@vary_on_headers("HX-Request")
@membership_required
def environment_keys(request: OrgRequest, project_slug, environment_slug):
    """An environment's keys tab; htmx asks for the table alone when a key was created."""
    environment = environment_for(request, project_slug, environment_slug)
    template = "keys/environment_keys.html"
    if request.htmx:
        template += "#key-table"
    return TemplateResponse(
        request,
        template,
        {
            "project": environment.project,
            "environment": environment,
            "environments": environment.project.environments.all(),
            "keys": environment.api_keys.with_related().with_recent_usage(),
        },
    )


@require_http_methods(["GET", "POST"])
@never_cache
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_keys")
def key_create(request: OrgRequest, project_slug=None, environment_slug=None):
    """`New API Key`: the form, then the key, once.

    With an environment in the URL (its keys tab) the key goes there; without (the
    quickstart) the form offers every environment of the organization.
    """
    membership = request.membership
    fixed = None
    choices = None
    if project_slug:
        fixed = environment_for(request, project_slug, environment_slug)
    else:
        choices = environment_choices(membership.organization)
    form = KeyCreateForm(
        request.POST if request.method == "POST" else None,
        environments=choices,
        can_grant_manage=membership.can_grant_manage,
        initial={"environment": request.GET.get("environment")},
    )
    context = {"form": form, "environment": fixed, "action": request.path}
    if request.method == "POST" and form.is_valid():
        key, plaintext = issue_api_key(
            environment=fixed or form.cleaned_data["environment"],
            name=form.cleaned_data["name"],
            by=request.user,
            kind=Kind.PERSONAL,
            write=form.cleaned_data["write"],
            manage=form.cleaned_data.get("manage", False),
            expires_at=form.expires_at(),
            request=request,
        )
        response = TemplateResponse(
            request,
            "keys/key_created.html#key-secret" if request.htmx else "keys/key_created.html",
            {"key": key, "plaintext": plaintext, "verify_url": verify_url(request)},
        )
        return trigger_client_event(response, "keyCreated")
    status = 422 if request.method == "POST" else 200
    template = "keys/key_new.html#key-dialog" if request.htmx else "keys/key_new.html"
    return TemplateResponse(request, template, context, status=status)


def verify_url(request):
    return request.build_absolute_uri("/v1/auth/verify")
