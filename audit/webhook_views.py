"""The webhooks settings page: `/settings/webhooks/` (admins).

config/urls.py wraps each view in the admin membership check, as for the audit review (this
app imports no other), so `request.membership` is read duck-typed and every query starts from
its organization.
"""

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from audit.models import Webhook, WebhookDelivery
from audit.views import AuditRequest
from audit.webhook_forms import WebhookForm
from audit.webhooks import new_secret, redeliver

RECENT_DELIVERIES = 50


@require_safe
def webhook_list(request: AuditRequest) -> TemplateResponse:
    webhooks = Webhook.objects.for_organization(request.membership.organization)
    return TemplateResponse(request, "audit/webhooks.html", {"webhooks": webhooks})


@require_http_methods(["GET", "POST"])
@never_cache
@vary_on_headers("HX-Request")
def webhook_create(request: AuditRequest) -> TemplateResponse:
    """`New webhook`: the form, then its signing secret, once, behind the copy gate."""
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = request.user if isinstance(request.user, AbstractBaseUser) else None
        webhook = Webhook.objects.create(
            organization=request.membership.organization,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            secret=new_secret(),
            created_by=user,
        )
        template = "audit/webhook_created.html"
        return TemplateResponse(
            request,
            f"{template}#webhook-secret" if request.htmx else template,
            {"webhook": webhook},
        )
    status = 422 if request.method == "POST" else 200
    template = "audit/webhook_new.html#webhook-dialog" if request.htmx else "audit/webhook_new.html"
    return TemplateResponse(request, template, {"form": form}, status=status)


@require_safe
def webhook_detail(request: AuditRequest, webhook_id: int) -> TemplateResponse:
    webhook = get_object_or_404(
        Webhook.objects.for_organization(request.membership.organization), pk=webhook_id
    )
    deliveries = webhook.deliveries.all()[:RECENT_DELIVERIES]
    return TemplateResponse(
        request, "audit/webhook_detail.html", {"webhook": webhook, "deliveries": deliveries}
    )


@require_POST
def delivery_redeliver(
    request: AuditRequest, webhook_id: int, delivery_id: int
) -> HttpResponseRedirect:
    delivery = get_object_or_404(
        WebhookDelivery.objects.filter(
            webhook__organization=request.membership.organization, webhook_id=webhook_id
        ),
        pk=delivery_id,
    )
    redeliver(delivery)
    messages.success(request, f"Delivery {delivery.message_id} is queued again.")
    return redirect("webhooks:detail", webhook_id=webhook_id)
