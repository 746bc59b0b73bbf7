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
    path("keys/", views.key_admin, name="admin"),
    path("keys/new/", views.key_create, name="create_any"),
    path("keys/revoke/", views.key_revoke, name="revoke"),
    path("keys/<str:key_id>/", views.key_detail, name="detail"),
    path("keys/<str:key_id>/edit/", views.key_edit, name="edit"),
    path("keys/<str:key_id>/rotate/", views.key_rotate, name="rotate"),
]
