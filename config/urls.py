from django.urls import include, path

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("environments.urls")),
    path("", include("keys.urls")),
]
