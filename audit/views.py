"""The audit log's review page, its exports, and verification on demand.

Admins only: config/urls.py wraps each view in `environments.access.membership_required(
allow="is_admin")`, since audit imports no other app. So `request.membership` is read
duck-typed, and every query starts from its organization.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url
from django_htmx.middleware import HtmxDetails

from audit import exports
from audit.chain import verify_and_keep
from audit.forms import EventFilterForm
from audit.models import NEWEST_FIRST, AuditEvent, ChainHead


class AuditRequest(HttpRequest):
    """A request let through by the admin check that config/urls.py wires around the view."""

    htmx: HtmxDetails
    membership: Any  # environments.models.Membership, duck-typed


@require_safe
@vary_on_headers("HX-Request")
def review(request: AuditRequest) -> TemplateResponse:
    """The events, newest first, filtered by the query string; htmx gets the table alone."""
    organization = request.membership.organization
    form = EventFilterForm(request.GET, organization=organization)
    page = None
    if form.is_valid():
        events = AuditEvent.objects.for_organization(organization).matching(**form.filters())
        page = NEWEST_FIRST.page_or_first(
            events.select_related("project", "environment"),
            request.GET.get("cursor", ""),
            scope=organization.pk,
            url=form.url(),
        )
    status = 200 if page is not None else 422
    context: dict[str, object] = {"form": form, "page": page}
    if request.htmx and not request.htmx.history_restore_request:
        response = TemplateResponse(
            request, "audit/review.html#audit-table", context, status=status
        )
        # The address bar shows the view (only the filters in force), so it can be shared.
        return push_url(response, page.current_url) if page is not None else response
    context["head"] = ChainHead.for_organization(organization.pk)
    return TemplateResponse(request, "audit/review.html", context, status=status)


@require_POST
def verify(request: AuditRequest) -> HttpResponse:
    """`Verify chain`: walk the organization's whole chain now and keep the outcome."""
    organization = request.membership.organization
    head = verify_and_keep(organization.pk, by=request.user.get_username())
    if request.htmx:
        return TemplateResponse(request, "audit/review.html#chain-state", {"head": head})
    if head.verified_intact:
        messages.success(request, f"The chain is intact ({head.verified_events} events).")
    else:
        messages.error(request, f"The chain is broken: {head.verified_problem}")
    return redirect("audit:review")


# Exports are POSTs behind CSRF, since each writes an audit event: a link or an image on
# another site cannot add export events to the log. The filters ride in the query string.
@require_POST
@never_cache
def export_csv(request: AuditRequest) -> HttpResponse | StreamingHttpResponse:
    return export(request, "csv")


@require_POST
@never_cache
def export_jsonl(request: AuditRequest) -> HttpResponse | StreamingHttpResponse:
    return export(request, "jsonl")


def export(request: AuditRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """Every event the filters select, whatever page the link was on (audit.exports)."""
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(form.problems)
        return HttpResponse(f"Invalid filters: {problems}\n", status=400, content_type="text/plain")
    organization = request.membership.organization
    lines = exports.export(
        organization=organization,
        fmt=fmt,
        filters=form.filters(),
        by=request.user,
        request=request,
    )
    content_type, _ = exports.FORMATS[fmt]
    response = StreamingHttpResponse(lines, content_type=content_type)
    filename = exports.filename(organization, fmt)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
