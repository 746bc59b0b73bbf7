"""The schema states what the API enforces, so generated clients and fuzzers can trust it."""

import json

import pytest

from audit.models import Action, AuditEvent
from keys.models import issue_api_key


@pytest.fixture
def schema(client, db):
    return client.get("/v1/openapi.json").json()


def parameter(schema, path, method, name):
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


def test_bounds_and_enums_are_stated(schema):
    limit = parameter(schema, "/v1/api-keys", "get", "limit")["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 200, 50)
    permissions = parameter(schema, "/v1/auth/verify", "get", "permissions")
    assert permissions["schema"]["items"]["enum"] == ["read", "write", "manage"]
    assert permissions["explode"] is False
    key_in = schema["components"]["schemas"]["KeyIn"]
    assert key_in["properties"]["environment"]["examples"] == ["development"]
    assert key_in["properties"]["permissions"]["items"]["enum"] == ["read", "write", "manage"]
    assert key_in["examples"]
    assert key_in["properties"]["allowed_ips"]["anyOf"][0]["maxItems"] == 100
    created = schema["paths"]["/v1/api-keys"]["post"]["responses"]
    assert {"400", "401", "403", "404", "413", "415", "422", "429"} <= set(created)


@pytest.mark.parametrize(("path", "method"), [("/rotate", "post"), ("", "delete")])
def test_optional_bodies_are_optional_and_never_null(schema, path, method):
    body = schema["paths"]["/v1/api-keys/{key_id}" + path][method]["requestBody"]
    assert body["required"] is False
    assert "null" not in json.dumps(body["content"]["application/json"]["schema"])


def test_links_chain_create_get_change_rotate_revoke(schema):
    paths = schema["paths"]
    for path, method, status in [
        ("/v1/api-keys", "post", "201"),
        ("/v1/api-keys/{key_id}", "get", "200"),
        ("/v1/api-keys/{key_id}", "patch", "200"),
        ("/v1/api-keys/{key_id}/rotate", "post", "201"),
    ]:
        links = paths[path][method]["responses"][status]["links"]
        assert {link["operationId"] for link in links.values()} == {
            "get_key",
            "patch_key",
            "rotate_key",
            "delete_key",
        }
        assert all(
            link["parameters"] == {"key_id": "$response.body#/id"} for link in links.values()
        )
    operation_ids = {op["operationId"] for ops in paths.values() for op in ops.values()}
    assert {"get_key", "patch_key", "rotate_key", "delete_key", "create_key"} <= operation_ids


@pytest.mark.parametrize("limit", ["0", "201", "-1", "x"])
def test_a_limit_out_of_bounds_is_a_422(client, manager, limit):
    response = client.get(f"/v1/api-keys?limit={limit}", **manager)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "limit" in response.json()["error"]["message"]


def test_delete_records_the_reason_given(client, manager, api_key):
    key, _ = api_key
    response = client.delete(
        f"/v1/api-keys/{key.public_id}",
        data=json.dumps({"reason": "  leaked in a public repository "}),
        content_type="application/json",
        **manager,
    )
    assert response.status_code == 200
    assert response.json()["revoked_reason"] == "leaked in a public repository"
    event = AuditEvent.objects.get(action=Action.KEY_REVOKED, target_id=key.public_id)
    assert event.metadata["reason"] == "leaked in a public repository"


def test_delete_without_a_body_keeps_the_default_reason(client, manager, api_key):
    key, _ = api_key
    response = client.delete(f"/v1/api-keys/{key.public_id}", **manager)
    assert response.status_code == 200
    assert response.json()["revoked_reason"] == "revoked through the API"


@pytest.mark.parametrize("reason", [" ", "hidden\u202e", "r" * 201])
def test_delete_refuses_a_bad_reason_and_keeps_the_key(client, manager, api_key, reason):
    key, _ = api_key
    response = client.delete(
        f"/v1/api-keys/{key.public_id}",
        data=json.dumps({"reason": reason}),
        content_type="application/json",
        **manager,
    )
    assert response.status_code == 422
    key.refresh_from_db()
    assert key.revoked_at is None


def test_rotate_takes_no_body_or_an_empty_one(client, manager, development, alice):
    for data in ("", "{}"):  # an empty body needs no content type
        key, _ = issue_api_key(environment=development, name="r", by=alice)
        url = f"/v1/api-keys/{key.public_id}/rotate"
        kwargs = {"content_type": "application/json"} if data else {}
        response = client.generic("POST", url, data, **kwargs, **manager)
        assert response.status_code == 201, response.content
        key.refresh_from_db()
        assert key.revoked_reason == "rotated"


@pytest.mark.parametrize("query", ["permissions=read,write", "permissions=read&permissions=write"])
def test_verify_takes_permissions_comma_separated_or_repeated(client, development, alice, query):
    _, readonly = issue_api_key(environment=development, name="ro", by=alice)
    response = client.get(f"/v1/auth/verify?{query}", HTTP_AUTHORIZATION=f"Bearer {readonly}")
    assert response.status_code == 403
    assert "write" in response.json()["error"]["message"]
