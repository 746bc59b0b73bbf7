"""Key screens: an environment's keys tab, create, the admin list, revoke, detail, edit, rotate.

Every lookup starts from the request's organization (`ApiKey.objects.for_organization(
request.membership.organization)`, `changeable_by(request.membership)`), so a key of another
organization answers 404; the rules themselves are asked of keys/models.py.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from audit.models import AuditEvent
from environments.access import (
    OrgRequest,
    ask_for_a_recent_sign_in,
    go,
    membership_required,
    recent_sign_in_required,
)
from environments.models import Environment
from keys import tokens
from keys.charts import bar_chart
from keys.forms import (
    KeyCreateForm,
    KeyEditForm,
    KeyFilterForm,
    RevokeForm,
    RotateForm,
    environment_choices,
)
from keys.models import (
    NEWEST_FIRST,
    ApiKey,
    ApiKeyQuerySet,
    KeyUsage,
    NotRotatable,
    check_may_issue,
    issue_api_key,
    revoke_api_key,
    rotate_api_key,
    rotated_expiry,
    update_api_key,
    with_recent_usage,
)
from keys.snippets import first_request

# The hygiene counts: ApiKey.objects.hygiene()'s names, what each says, the admin page's
# filters that list those keys (KeyFilterForm's names and values).
HYGIENE = [
    ("never_used", "never used", {"use": "never"}),
    ("unused", "unused for 30 days", {"use": "unused30"}),
    ("without_expiry", "without expiry", {"expiry": "none"}),
    ("expiring", "expiring within 7 days", {"expiry": "soon"}),
]


def hygiene(request: OrgRequest) -> dict[str, Any]:
    """The active keys this member may act on that want attention (an admin's or a manager's:
    the organization's; a member's: their own; a viewer's: none), counted in one query, each
    count linking to the admin page filtered to them when the member may open it."""
    counts = ApiKey.objects.changeable_by(request.membership).active().hygiene()
    admin_url = reverse("keys:admin") if request.membership.manages_keys else None
    items = [
        {
            "label": label,
            "count": counts[name],
            "url": admin_url and f"{admin_url}?{urlencode({'status': 'active', **query})}",
        }
        for name, label, query in HYGIENE
    ]
    return {"total": counts["total"], "items": items, "own": not request.membership.manages_keys}


def environment_for(request: OrgRequest, project_slug: str, environment_slug: str) -> Environment:
    """An environment of the current organization, or 404."""
    environments = Environment.objects.for_organization(request.membership.organization)
    return get_object_or_404(
        environments.select_related("project").prefetch_related("tags"),
        project__slug=project_slug,
        slug=environment_slug,
    )


def key_for(request: OrgRequest, key_id: str) -> ApiKey:
    """A key of the current organization, or 404."""
    keys = ApiKey.objects.for_organization(request.membership.organization).with_related()
    return get_object_or_404(keys, public_id=key_id)


def changeable_key(request: OrgRequest, key_id: str) -> ApiKey:
    """A key this member may change: 404 outside the organization, 403 inside it."""
    key = key_for(request, key_id)
    if not with_changeable(request, [key])[0].changeable:
        raise PermissionDenied("You may change only the keys you created.")
    return key


def with_changeable(request: OrgRequest, keys: Iterable[ApiKey]) -> list[ApiKey]:
    """Mark each key with whether this member may change it (for the row buttons)."""
    keys = list(keys)
    allowed = set(
        ApiKey.objects.changeable_by(request.membership)
        .filter(pk__in=[k.pk for k in keys])
        .values_list("pk", flat=True)
    )
    for key in keys:
        key.changeable = key.pk in allowed
    return keys


@require_safe
@vary_on_headers("HX-Request")
@membership_required
def environment_keys(
    request: OrgRequest, project_slug: str, environment_slug: str
) -> TemplateResponse:
    """An environment's keys tab; htmx asks for the table alone when keys change."""
    environment = environment_for(request, project_slug, environment_slug)
    template = "keys/environment_keys.html"
    if request.htmx:
        template += "#key-table"
    page = NEWEST_FIRST.page_or_first(
        environment.api_keys.with_related(),
        request.GET.get("cursor", ""),
        scope=f"environment-{environment.pk}",
        url=request.path,
    )
    with_recent_usage(with_changeable(request, page.items))
    # htmx redraws the table alone: the chart is the full page's.
    chart = None if request.htmx else bar_chart(KeyUsage.per_day(environment.api_keys.all()))
    return TemplateResponse(
        request,
        template,
        {
            "project": environment.project,
            "environment": environment,
            "environments": environment.project.environments.filter(
                Q(archived_at__isnull=True) | Q(pk=environment.pk)
            ),
            "page": page,
            "chart": chart,
        },
    )


def show_once(request: OrgRequest, key: ApiKey, plaintext: str) -> TemplateResponse:
    """The one response that carries a new key's plaintext (never cached)."""
    response = TemplateResponse(
        request,
        "keys/key_created.html#key-secret" if request.htmx else "keys/key_created.html",
        {
            "key": key,
            "plaintext": plaintext,
            "snippets": first_request(verify_url(request), key=plaintext),
        },
    )
    return trigger_client_event(response, "keyCreated")


@require_http_methods(["GET", "POST"])
@never_cache
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_keys")
def key_create(
    request: OrgRequest, project_slug: str = "", environment_slug: str = ""
) -> TemplateResponse:
    """`New API Key`: the form, then the key, once.

    With an environment in the URL (its keys tab) the key goes there; without (the
    quickstart) the form offers every environment of the organization.
    """
    fixed = environment_for(request, project_slug, environment_slug) if project_slug else None
    if fixed is not None and fixed.is_archived:
        raise PermissionDenied(f"{fixed} is archived: it takes no new keys.")
    choices = environment_choices(request.membership.organization).in_use()
    form = KeyCreateForm(
        request.POST if request.method == "POST" else None,
        organization=request.membership.organization,
        environment=fixed,
        environments=None if fixed else choices,
        can_grant_manage=request.membership.can_grant_manage,
        initial={"environment": request.GET.get("environment")},
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("manage"):
            ask_for_a_recent_sign_in(request)  # granting manage
        key, plaintext = issue_api_key(by=request.user, request=request, **form.issued())
        return show_once(request, key, plaintext)
    status = 422 if request.method == "POST" else 200
    template = "keys/key_new.html#key-dialog" if request.htmx else "keys/key_new.html"
    context = {"form": form, "environment": fixed, "action": request.path}
    return TemplateResponse(request, template, context, status=status)


def verify_url(request: HttpRequest) -> str:
    """Where a service checks a key: `GET /v1/auth/verify`, on this host."""
    return request.build_absolute_uri(reverse("verify"))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@membership_required(allow="manages_keys")
def key_admin(request: OrgRequest) -> HttpResponse:
    """Every key of the organization, filtered, with revocation one by one or in bulk.

    A whole key pasted to find it is POSTed (`secret`), so it never travels in a URL; the page
    then names the key by its public id. One pasted into the GET search is handled the same
    way, as a safety net."""
    organization = request.membership.organization
    keys = ApiKey.objects.for_organization(organization).with_related()
    query = request.GET.copy()
    secret = request.POST.get("secret", "") if request.method == "POST" else query.get("q", "")
    if request.method == "POST" or tokens.is_well_formed(secret.strip()):
        return to_pasted_key(request, keys, secret.strip(), query)
    form = KeyFilterForm(request.GET or None, organization=organization)
    keys = keys.filtered(**form.filters()).prefetch_related("environment__tags")
    page = NEWEST_FIRST.page_or_first(
        keys, query.get("cursor", ""), scope=f"organization-{organization.pk}", url=form.url()
    )
    with_changeable(request, page.items)
    template = "keys/key_admin.html"
    if request.htmx:
        template += "#admin-table"
    return TemplateResponse(
        request,
        template,
        {
            "form": form,
            "page": page,
            "total": keys.count(),
            "hygiene": None if request.htmx else hygiene(request),
        },
    )


def to_pasted_key(
    request: OrgRequest, keys: ApiKeyQuerySet, secret: str, query: QueryDict
) -> HttpResponse:
    """The admin page again, searching for the pasted key by its public id: the key itself
    stays in no URL."""
    match = keys.matching(secret).first() if secret else None
    query["q"] = match.public_id if match else ""
    if match is None:
        messages.info(request, "No key of this organization matches the pasted key.")
    return go(request, f"{request.path}?{query.urlencode()}")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_keys")
@recent_sign_in_required
def key_revoke(request: OrgRequest) -> HttpResponse:
    """Confirm, with a reason, then revoke one or many keys at once."""
    source = request.POST if request.method == "POST" else request.GET
    wanted = [k for k in source.getlist("keys") if tokens.PUBLIC_ID_RE.fullmatch(k)]
    keys = ApiKey.objects.changeable_by(request.membership).filter(public_id__in=wanted)
    revocable = list(keys.unrevoked().with_related())
    form = RevokeForm(
        request.POST if request.method == "POST" else None,
        revocable=revocable,
        initial={"keys": [k.public_id for k in revocable]},
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen()
        for key in chosen:
            revoke_api_key(
                key=key, by=request.user, reason=form.cleaned_data["reason"], request=request
            )
        return revoked(request, f"Revoked {len(chosen)} key{'s' if len(chosen) != 1 else ''}.")
    status = 422 if request.method == "POST" else 200
    template = "keys/key_revoke.html#revoke-dialog" if request.htmx else "keys/key_revoke.html"
    context = {
        "form": form,
        "keys": revocable,
        "not_found": len(set(wanted) - {k.public_id for k in revocable}),
        "next": safe_next(request, source.get("next")),
    }
    return TemplateResponse(request, template, context, status=status)


def revoked(request: OrgRequest, message: str) -> HttpResponse:
    """After a revocation: htmx gets the message and refreshes the keys; a plain POST goes
    back where it started."""
    if request.htmx:
        response = TemplateResponse(request, "flash.html", {"message": message})
        return trigger_client_event(response, "keysChanged")
    messages.success(request, message)
    return redirect(safe_next(request, request.POST.get("next")))


def safe_next(request: OrgRequest, url: str | None) -> str:
    """Where to go after a plain (non-htmx) revocation: back where it started, if ours."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("keys:admin") if request.membership.manages_keys else reverse("dashboard:home")


@require_safe
@vary_on_headers("HX-Request")
@membership_required
def key_detail(request: OrgRequest, key_id: str) -> TemplateResponse:
    """One key: its settings, its audit timeline and its recent use; htmx asks for the page's
    body again after a revocation or rotation (`keysChanged`)."""
    key = with_changeable(request, [key_for(request, key_id)])[0]
    timeline = AuditEvent.objects.filter(
        organization=request.membership.organization,
        target_kind="apikey",
        target_id=key.public_id,
    ).order_by("-id")[:100]
    return TemplateResponse(
        request,
        "keys/key_detail.html#key-page" if request.htmx else "keys/key_detail.html",
        {
            "key": key,
            "timeline": timeline,
            "chart": bar_chart(KeyUsage.per_day(key)),
            "successor": ApiKey.objects.filter(rotated_from=key).first(),
        },
    )


@require_http_methods(["GET", "POST"])
@membership_required(allow="can_create_keys")
def key_edit(request: OrgRequest, key_id: str) -> HttpResponse:
    key = changeable_key(request, key_id)
    form = KeyEditForm(
        request.POST if request.method == "POST" else None,
        key=key,
        can_grant_manage=request.membership.can_grant_manage,
    )
    if request.method == "POST" and form.is_valid():
        if form.changes()["can_manage"] and not key.can_manage:
            ask_for_a_recent_sign_in(request)  # granting manage
        update_api_key(key=key, by=request.user, changes=form.changes(), request=request)
        messages.success(request, "Key updated.")
        return redirect("keys:detail", key.public_id)
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(
        request, "keys/key_edit.html", {"key": key, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@never_cache
@vary_on_headers("HX-Request")
@membership_required(allow="can_create_keys")
def key_rotate(request: OrgRequest, key_id: str) -> HttpResponse:
    """Rotate with a grace window; the new key appears once, behind the copy gate."""
    key = changeable_key(request, key_id)
    not_rotatable = "Only an active key that is not already rotated can be rotated."
    if not key.is_rotatable:
        messages.error(request, not_rotatable)
        return redirect("keys:detail", key.public_id)
    check_may_issue(request.membership, permissions=key.permissions)
    form = RotateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            new, plaintext = rotate_api_key(
                key=key,
                by=request.user,
                grace_seconds=form.cleaned_data["grace_seconds"],
                request=request,
            )
        except NotRotatable:  # rotated by someone else a moment ago
            messages.error(request, not_rotatable)
            return redirect("keys:detail", key.public_id)
        return trigger_client_event(show_once(request, new, plaintext), "keysChanged")
    status = 422 if request.method == "POST" else 200
    template = "keys/key_rotate.html#rotate-dialog" if request.htmx else "keys/key_rotate.html"
    context = {"key": key, "form": form, "successor_expires_at": rotated_expiry(key)}
    return TemplateResponse(request, template, context, status=status)
