"""@require_api_key protects any Django view by the verify endpoint's rules."""

import json

from django.http import HttpResponse
from django.test import RequestFactory

from keys.decorators import require_api_key
from keys.models import issue_api_key, revoke_api_key


@require_api_key(permissions=["write"])
def upload(request):
    return HttpResponse(f"uploaded by {request.api_key.id} in {request.api_key.environment}")


@require_api_key
def read_only(request):
    return HttpResponse("ok")


def call(view, key=None, path="/upload", **extra):
    if key:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return view(RequestFactory().post(path, **extra))


def code(response):
    return json.loads(response.content)["error"]["code"]


def test_it_lets_a_key_with_the_permission_through(development, alice):
    key, plaintext = issue_api_key(environment=development, name="w", by=alice, write=True)
    response = call(upload, plaintext)
    assert response.status_code == 200
    assert response.content.decode() == f"uploaded by {key.public_id} in development"
    assert response["RateLimit-Limit"] == "600"


def test_it_refuses_a_key_without_the_permission(api_key):
    response = call(upload, api_key[1])
    assert response.status_code == 403
    assert code(response) == "insufficient_permissions"
    assert response["RateLimit-Remaining"].isdigit()


def test_it_answers_like_the_verify_endpoint(api_key, alice):
    assert code(call(read_only)) == "missing_api_key"
    assert call(read_only)["WWW-Authenticate"] == "Bearer"
    assert code(call(read_only, "kd_test_nope")) == "malformed_api_key"
    assert code(call(read_only, api_key[1], path=f"/upload?token={api_key[1]}")) == (
        "api_key_in_url"
    )
    assert call(read_only, api_key[1]).status_code == 200
    revoke_api_key(key=api_key[0], by=alice, reason="test")
    assert code(call(read_only, api_key[1])) == "revoked_api_key"


def test_it_needs_no_csrf_token(api_key):
    request = RequestFactory().post("/upload", HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    request._dont_enforce_csrf_checks = False
    assert read_only.csrf_exempt is True
    assert read_only(request).status_code == 200
