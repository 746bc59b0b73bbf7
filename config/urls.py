from django.urls import include, path

from audit.urls import patterns as audit_patterns
from audit.webhook_urls import patterns as webhook_patterns
from config import health
from environments.access import membership_required
from keys.api import api, verify_endpoint

urlpatterns = [
    path("livez", health.livez, name="livez"),
    path("readyz", health.readyz, name="readyz"),
    path("v1/auth/verify", verify_endpoint, name="verify"),  # the hot path, ahead of the router
    path("v1/", api.urls),
    path("", include("dashboard.urls")),
    path("", include("environments.urls")),
    path("", include("keys.urls")),
    path("audit/", include(audit_patterns(membership_required(allow="is_admin")))),
    path("settings/webhooks/", include(webhook_patterns(membership_required(allow="is_admin")))),
]
