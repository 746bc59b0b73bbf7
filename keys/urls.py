from django.urls import path

from keys import views

app_name = "keys"
urlpatterns = [
    path(
        "projects/<slug:project_slug>/environments/<slug:environment_slug>/keys/",
        views.environment_keys,
        name="environment",
    ),
    path(
        "projects/<slug:project_slug>/environments/<slug:environment_slug>/keys/new/",
        views.key_create,
        name="create",
    ),
    path("keys/new/", views.key_create, name="create_any"),
]
