"""Renaming and archiving projects and environments (archiving revokes the keys inside, so it
lives here, above the keys app, rather than in environments)."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dashboard.forms import EnvironmentTagsForm
from environments.access import OrgRequest, membership_required
from environments.forms import ArchiveForm, EnvironmentNameForm, ProjectForm
from environments.models import Environment, Project, set_tags
from environments.views import project_for
from keys.models import ApiKey, ApiKeyQuerySet, archive
from keys.views import environment_for


def refuse_archived(target: Project | Environment) -> None:
    if target.is_archived:
        raise PermissionDenied(f"{target.name} is archived: it cannot change any more.")


def rename_page(
    request: OrgRequest, form: ProjectForm | EnvironmentNameForm, done_url: str
) -> HttpResponse:
    """Rename `form.renaming` (a project or an environment), then go to `done_url`."""
    target = cast(Project | Environment, form.renaming)  # a form to rename has one
    if request.method == "POST" and form.is_valid():
        form.rename(by=request.user, request=request)
        messages.success(
            request, f"{str(target._meta.verbose_name).capitalize()} renamed to {target.name}."
        )
        return redirect(done_url)
    return TemplateResponse(
        request,
        "dashboard/rename.html",
        {"target": target, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@membership_required(allow="can_create_projects")
def project_rename(request: OrgRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    refuse_archived(project)
    form = ProjectForm(
        request.POST if request.method == "POST" else None,
        organization=request.membership.organization,
        renaming=project,
    )
    return rename_page(request, form, reverse("environments:project", args=[project.slug]))


@require_http_methods(["GET", "POST"])
@membership_required(allow="can_create_projects")
def environment_rename(
    request: OrgRequest, project_slug: str, environment_slug: str
) -> HttpResponse:
    environment = environment_for(request, project_slug, environment_slug)
    refuse_archived(environment)
    form = EnvironmentNameForm(
        request.POST if request.method == "POST" else None,
        project=environment.project,
        renaming=environment,
    )
    done = reverse("keys:environment", args=[project_slug, environment_slug])
    return rename_page(request, form, done)


@require_http_methods(["GET", "POST"])
@membership_required(allow="can_create_projects")
def environment_tags(request: OrgRequest, project_slug: str, environment_slug: str) -> HttpResponse:
    """Edit an environment's tags (those who may rename it may tag it)."""
    environment = environment_for(request, project_slug, environment_slug)
    refuse_archived(environment)
    current = "\n".join(str(tag) for tag in environment.tags.all())
    form = EnvironmentTagsForm(
        request.POST if request.method == "POST" else None, initial={"tags": current}
    )
    if request.method == "POST" and form.is_valid():
        changed = set_tags(
            environment=environment,
            tags=form.cleaned_data["tags"],
            by=request.user,
            request=request,
        )
        messages.success(request, "Tags saved." if changed else "The tags are unchanged.")
        return redirect("keys:environment", project_slug, environment_slug)
    return TemplateResponse(
        request,
        "dashboard/environment_tags.html",
        {"environment": environment, "form": form},
        status=422 if request.method == "POST" else 200,
    )


def archive_page(
    request: OrgRequest, target: Project | Environment, keys: ApiKeyQuerySet, done_url: str
) -> HttpResponse:
    """Confirm with a reason, then archive `target` and revoke `keys` (those still usable)."""
    refuse_archived(target)
    form = ArchiveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        revoked = archive(
            target=target, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
        messages.success(
            request, f"Archived {target.name}; revoked {revoked} key{'s' if revoked != 1 else ''}."
        )
        return redirect(done_url)
    return TemplateResponse(
        request,
        "dashboard/archive.html",
        {"target": target, "form": form, "keys": keys.count()},
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@membership_required(allow="is_admin")
def project_archive(request: OrgRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    keys = ApiKey.objects.filter(environment__project=project).active()
    return archive_page(request, project, keys, "environments:projects")


@require_http_methods(["GET", "POST"])
@membership_required(allow="is_admin")
def environment_archive(
    request: OrgRequest, project_slug: str, environment_slug: str
) -> HttpResponse:
    environment = environment_for(request, project_slug, environment_slug)
    keys = ApiKey.objects.filter(environment=environment).active()
    done = reverse("environments:project", args=[project_slug])
    return archive_page(request, environment, keys, done)
