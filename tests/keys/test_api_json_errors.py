"""Every answer under /v1/ is JSON in the contract's error shape, HTTP's own refusals included.

Clients generated from the schema decode every body as JSON: an HTML 404 or an empty 405 made
them fail with a decoding error instead of the error the server meant.
"""

import json

import pytest
from django.test import Client, override_settings

from keys.models import ApiKey


def error_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    return body["error"]["code"]


@pytest.mark.parametrize(
    "path", ["/v1/nope", "/v1/", "/v1/api-keys/key_a/b", "/v1/api-keys/x/rotate/more"]
)
def test_an_unknown_path_is_a_json_404(client, manager, path):
    assert error_of(client.get(path, **manager), 404) == "not_found"


def test_an_id_with_an_encoded_slash_is_a_json_404(client, manager):
    response = client.patch(
        "/v1/api-keys/key_a%2Fb", data="{}", content_type="application/json", **manager
    )
    assert error_of(response, 404) == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("post", "/v1/auth/verify", "GET, HEAD"),
        ("put", "/v1/api-keys", "GET, POST"),
        ("put", "/v1/api-keys/key_0123456789abcdef", "GET, PATCH, DELETE"),
        ("get", "/v1/api-keys/key_0123456789abcdef/rotate", "POST"),
    ],
)
def test_a_wrong_method_is_a_json_405_that_says_what_is_allowed(
    client, manager, method, path, allowed
):
    response = getattr(client, method)(path, **manager)
    assert error_of(response, 405) == "method_not_allowed"
    assert {m.strip() for m in response["Allow"].split(",")} == {
        m.strip() for m in allowed.split(",")
    }


@pytest.mark.parametrize("body", ["{", '{"name": "x",}', "\xff\xfe", "nan"])
def test_malformed_json_is_a_json_400(client, manager, body):
    response = client.post(
        "/v1/api-keys", data=body.encode("latin-1"), content_type="application/json", **manager
    )
    assert error_of(response, 400) == "malformed_json"
    assert ApiKey.objects.count() == 1


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_a_json_413(client, manager):
    body = json.dumps({"name": "x" * 2000, "environment": "development"})
    response = client.post("/v1/api-keys", data=body, content_type="application/json", **manager)
    assert error_of(response, 413) == "request_too_large"
    assert ApiKey.objects.count() == 1


def test_a_three_megabyte_body_is_a_json_413(client, manager):
    body = json.dumps({"name": "x", "environment": "development", "description": "d" * 3_000_000})
    response = client.post("/v1/api-keys", data=body, content_type="application/json", **manager)
    assert error_of(response, 413) == "request_too_large"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_a_json_415(client, manager, content_type):
    body = json.dumps({"name": "x", "environment": "development"})
    response = client.post("/v1/api-keys", data=body, content_type=content_type, **manager)
    assert error_of(response, 415) == "unsupported_media_type"
    assert ApiKey.objects.count() == 1


def test_the_media_type_is_checked_after_the_key(client):
    response = client.post("/v1/api-keys", data="x=1", content_type="text/plain")
    assert error_of(response, 401) == "missing_api_key"


def test_json_with_a_charset_or_a_suffix_is_json(client, manager):
    body = json.dumps({"name": "x", "environment": "development"})
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = client.post("/v1/api-keys", data=body, content_type=content_type, **manager)
        assert response.status_code == 201, response.content


def test_an_error_outside_the_api_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_failure_is_a_json_500_that_tells_nothing(manager, monkeypatch):
    """The safety net under every other answer: a bug still answers in the contract's shape."""

    def broken(request):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("keys.api.project_keys", broken)
    response = Client(raise_request_exception=False).get("/v1/api-keys", **manager)
    assert error_of(response, 500) == "internal_error"
    assert "secret detail" not in response.content.decode()
