from django.urls import include, path

from config import health
from keys.api import api

urlpatterns = [
    path("livez", health.livez, name="livez"),
    path("readyz", health.readyz, name="readyz"),
    path("v1/", api.urls),
    path("", include("dashboard.urls")),
    path("", include("environments.urls")),
    path("", include("keys.urls")),
]
