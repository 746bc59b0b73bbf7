"""Projects and environments of the request's organization, and switching organization.

Every lookup starts from `for_organization(request.membership.organization)`: another
organization's project answers 404.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from environments.access import SESSION_KEY, OrgRequest, membership_required
from environments.forms import EnvironmentForm, ProjectForm, SwitchOrganizationForm
from environments.models import Membership, Project


def project_for(request: OrgRequest, slug: str) -> Project:
    """A project of the current organization, or 404."""
    projects = Project.objects.for_organization(request.membership.organization)
    return get_object_or_404(projects, slug=slug)


@require_http_methods(["GET", "POST"])
@membership_required
def project_list(request: OrgRequest) -> HttpResponse:
    """The organization's projects in use, and `Create project` for those who may."""
    organization = request.membership.organization
    # Not `request.POST or None`: an empty POST must be bound, and show what is missing.
    form = ProjectForm(
        request.POST if request.method == "POST" else None, organization=organization
    )
    if request.method == "POST":
        if not request.membership.can_create_projects:
            raise PermissionDenied("Viewers cannot create projects.")
        if form.is_valid():
            project = form.create(by=request.user, request=request)
            return redirect("environments:project", project.slug)
    projects = Project.objects.for_organization(organization).in_use().with_environments_in_use()
    return TemplateResponse(
        request,
        "environments/project_list.html",
        {"projects": projects, "form": form},
        status=422 if form.errors else 200,
    )


@require_safe
@membership_required
def project_detail(request: OrgRequest, slug: str) -> TemplateResponse:
    project = project_for(request, slug)
    return TemplateResponse(
        request,
        "environments/project_detail.html",
        {
            "project": project,
            "environments": project.environments.prefetch_related("tags"),
            "form": EnvironmentForm(project=project),
        },
    )


@require_POST
@membership_required(allow="can_create_projects")
def environment_create(request: OrgRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    if project.is_archived:
        raise PermissionDenied(f"{project} is archived: it takes no new environments.")
    form = EnvironmentForm(request.POST, project=project)
    if form.is_valid():
        environment = form.create(by=request.user, request=request)
        return redirect("keys:environment", project.slug, environment.slug)
    return TemplateResponse(
        request,
        "environments/project_detail.html",
        {"project": project, "environments": project.environments.all(), "form": form},
        status=422,
    )


@require_POST
@membership_required
def switch_organization(request: OrgRequest) -> HttpResponseRedirect:
    form = SwitchOrganizationForm(request.POST)
    if form.is_valid():
        membership = get_object_or_404(
            Membership.objects.for_user(request.user),
            organization_id=form.cleaned_data["organization"],
        )
        request.session[SESSION_KEY] = membership.organization_id
    return redirect("dashboard:home")
