from django.urls import path, register_converter

from environments.urls import ENVIRONMENT
from keys import playground, views
from keys.tokens import PUBLIC_ID_RE


class KeyIdConverter:
    """A key's public id (`key_` and 16 base62 characters); anything else is not a key URL."""

    regex = PUBLIC_ID_RE.pattern

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KeyIdConverter, "key_id")

app_name = "keys"
urlpatterns = [
    path(f"{ENVIRONMENT}keys/", views.environment_keys, name="environment"),
    path(f"{ENVIRONMENT}keys/new/", views.key_create, name="create"),
    path("keys/", views.key_admin, name="admin"),
    path("keys/new/", views.key_create, name="create_any"),
    path("keys/revoke/", views.key_revoke, name="revoke"),
    path("keys/<key_id:key_id>/", views.key_detail, name="detail"),
    path("keys/<key_id:key_id>/edit/", views.key_edit, name="edit"),
    path("keys/<key_id:key_id>/rotate/", views.key_rotate, name="rotate"),
    path("playground/", playground.playground, name="playground"),
]
