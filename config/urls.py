from django.urls import include, path, re_path

from audit.urls import patterns as audit_patterns
from audit.webhook_urls import patterns as webhook_patterns
from config import health
from environments.access import membership_required, recent_sign_in_required
from keys.api import api, not_found, verify_endpoint

urlpatterns = [
    path("livez", health.livez, name="livez"),
    path("readyz", health.readyz, name="readyz"),
    path("v1/auth/verify", verify_endpoint, name="verify"),  # the hot path, ahead of the router
    path("v1/", api.urls),
    re_path(r"^v1/", not_found, name="v1_not_found"),  # JSON, like every answer under /v1/
    path("", include("dashboard.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("environments.urls")),
    path("", include("keys.urls")),
    path(
        "audit/",
        include(audit_patterns(membership_required(allow="is_admin"), recent_sign_in_required)),
    ),
    path(
        "settings/webhooks/",
        include(
            webhook_patterns(membership_required(allow="manages_keys"), recent_sign_in_required)
        ),
    ),
]

handler500 = "config.outages.server_error"
