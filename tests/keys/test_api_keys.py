"""The /v1/api-keys management calls: scope, escalation, rotation, revocation, audit."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.chain import verify_chain
from audit.models import AuditEvent
from environments.models import create_environment
from keys.models import ApiKey, Kind, digest, issue_api_key
from keys.tokens import KEY_RE

URL = "/v1/api-keys"


@pytest.fixture
def manager(development, alice):
    """(key, plaintext) of a key that may read, write and manage."""
    return issue_api_key(
        environment=development, name="automation", by=alice, write=True, manage=True
    )


@pytest.fixture
def api(client, manager):
    """The test client, speaking as the manager key."""

    class Api:
        def __init__(self, key):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

        def call(self, method, path, body=None, **extra):
            kwargs = {**self.headers, "content_type": "application/json", **extra}
            if body is not None:
                kwargs["data"] = json.dumps(body)
            return getattr(client, method)(URL + path, **kwargs)

        def as_key(self, key):
            return Api(key)

    return Api(manager[1])


def error_code(response):
    return response.json()["error"]["code"]


def test_it_creates_a_key_and_shows_it_once(api, production):
    response = api.call("post", "", {"name": "worker", "environment": "production"})
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert KEY_RE.fullmatch(body["key"])
    assert body["key"].startswith("kd_live_")
    key = ApiKey.objects.get(public_id=body["id"])
    assert key.digest == digest(body["key"])
    assert key.kind == Kind.SERVICE
    assert body["permissions"] == ["read"]
    assert body["status"] == "active"
    assert body["environment"] == "production"
    for field in ("name", "kind", "hint", "created_at", "expires_at", "last_used_at"):
        assert field in body
    assert "digest" not in body
    assert response["RateLimit-Limit"].isdigit()


def test_it_takes_every_setting(api):
    expires = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    body = {
        "name": "full",
        "environment": "development",
        "permissions": ["write"],
        "description": "nightly export",
        "expires_at": expires.isoformat(),
        "allowed_ips": ["10.0.0.1/8"],
        "rate_limit": 30,
    }
    created = api.call("post", "", body).json()
    key = ApiKey.objects.get(public_id=created["id"])
    assert key.permissions == ["read", "write"]
    assert key.description == "nightly export"
    assert key.expires_at == expires
    assert key.allowed_ips == ["10.0.0.0/8"]
    assert key.rate_limit == 30


def test_creation_is_audited_with_the_key_as_actor(api, manager, acme):
    created = api.call("post", "", {"name": "w", "environment": "development"}).json()
    event = AuditEvent.objects.filter(action="key_created").latest("id")
    assert event.actor_kind == "apikey"
    assert event.actor_id == manager[0].public_id
    assert event.target_id == created["id"]
    assert created["key"] not in json.dumps(event.metadata)
    assert verify_chain(acme.pk) is None


@pytest.mark.parametrize(
    "body",
    [
        {"environment": "development"},
        {"name": "", "environment": "development"},
        {"name": "x", "environment": "development", "permissions": ["root"]},
        {"name": "x", "environment": "development", "allowed_ips": ["not-an-ip"]},
        {"name": "x", "environment": "development", "rate_limit": 0},
        {"name": "x", "environment": "development", "expires_at": "2030-01-01T00:00:00"},
    ],
)
def test_it_rejects_bad_input_clearly(api, body):
    response = api.call("post", "", body)
    assert response.status_code == 422
    assert error_code(response) == "invalid_request"
    assert response.json()["error"]["message"]
    assert ApiKey.objects.count() == 1  # the manager alone


def test_it_rejects_a_body_that_is_not_json(client, manager):
    response = client.post(
        URL,
        data="{oops",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {manager[1]}",
    )
    assert response.status_code in (400, 422)
    assert "error" in response.json()


def test_environment_is_a_slug_in_the_callers_project(api, globex_environment, acme, alice):
    other_project = create_environment(
        project=acme.projects.create(name="Other", slug="other"), name="elsewhere", by=alice
    )
    for slug in ("production-x", globex_environment.slug, other_project.slug):
        response = api.call("post", "", {"name": "x", "environment": slug})
        assert response.status_code == 422, slug
        assert error_code(response) == "unknown_environment"


def test_a_key_cannot_create_beyond_its_own_permissions(api, development, alice):
    _, limited = issue_api_key(environment=development, name="m", by=alice, manage=True)
    response = api.as_key(limited).call(
        "post", "", {"name": "x", "environment": "development", "permissions": ["write"]}
    )
    assert response.status_code == 403
    assert error_code(response) == "insufficient_permissions"


def test_a_limited_manage_key_cannot_mint_a_key_without_its_limits(client, development, alice):
    soon = timezone.now() + timedelta(days=1)
    _, limited = issue_api_key(
        environment=development,
        name="office automation",
        by=alice,
        manage=True,
        expires_at=soon,
        allowed_ips=["10.0.0.0/8"],
    )
    office = {"REMOTE_ADDR": "10.1.2.3"}

    def post(body):
        return client.post(
            URL,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {limited}",
            **office,
        )

    later = (soon + timedelta(days=30)).isoformat()
    response = post({"name": "x", "environment": "development", "expires_at": later})
    assert response.status_code == 403
    response = post({"name": "x", "environment": "development", "allowed_ips": ["0.0.0.0/0"]})
    assert response.status_code == 403
    # Without limits of its own asked for, the new key inherits the caller's.
    created = post({"name": "x", "environment": "development"}).json()
    key = ApiKey.objects.get(public_id=created["id"])
    assert key.expires_at == soon
    assert key.allowed_ips == ["10.0.0.0/8"]
    # Nor can it lift them from another key afterwards.
    response = client.patch(
        f"{URL}/{key.public_id}",
        data=json.dumps({"expires_at": None}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {limited}",
        **office,
    )
    assert response.status_code == 403


def test_a_key_without_manage_gets_403(api, api_key):
    response = api.as_key(api_key[1]).call("get", "")
    assert response.status_code == 403
    assert error_code(response) == "insufficient_permissions"
    assert response["RateLimit-Limit"].isdigit()


def test_management_needs_a_key(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert error_code(response) == "missing_api_key"
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_lists_the_projects_keys_by_cursor(api, development, production, alice, charlie):
    for n in range(5):
        issue_api_key(environment=production, name=f"k{n}", by=alice)
    seen, cursor = [], None
    while True:
        response = api.call("get", f"?limit=2{'&cursor=' + cursor if cursor else ''}")
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = list(
        ApiKey.objects.filter(environment__project=development.project)
        .order_by("-created_at", "-id")
        .values_list("public_id", flat=True)
    )
    assert seen == expected
    assert len(seen) == 6
    assert all("key" not in item for item in page["items"])


def test_it_never_lists_another_projects_keys(api, globex_environment, charlie):
    theirs, _ = issue_api_key(environment=globex_environment, name="theirs", by=charlie)
    ids = [item["id"] for item in api.call("get", "").json()["items"]]
    assert theirs.public_id not in ids
    for method in ("get", "delete", "patch"):
        response = api.call(method, f"/{theirs.public_id}", {} if method == "patch" else None)
        assert response.status_code == 404, method
        assert error_code(response) == "not_found"
    assert api.call("post", f"/{theirs.public_id}/rotate", {}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active"


@pytest.mark.parametrize("cursor", ["!!", "bm90LWEtbnVtYmVy", "%00"])
def test_it_rejects_a_forged_cursor(api, cursor):
    response = api.call("get", f"?cursor={cursor}")
    assert response.status_code == 422
    assert error_code(response) == "invalid_cursor"


def test_it_gets_one_key(api, api_key):
    body = api.call("get", f"/{api_key[0].public_id}").json()
    assert body["id"] == api_key[0].public_id
    assert body["hint"] == api_key[0].hint
    assert api_key[1] not in json.dumps(body)


def test_it_changes_a_key_and_audits_before_and_after(api, api_key):
    key = api_key[0]
    response = api.call(
        "patch", f"/{key.public_id}", {"name": "renamed", "permissions": ["read", "write"]}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "renamed"
    assert response.json()["permissions"] == ["read", "write"]
    event = AuditEvent.objects.filter(action="key_updated").get()
    assert event.metadata["before"] == {"name": "CI deploys", "can_write": False}
    assert event.metadata["after"] == {"name": "renamed", "can_write": True}


def test_a_key_cannot_widen_a_key_beyond_its_own_permissions(api, development, alice, api_key):
    _, limited = issue_api_key(environment=development, name="m", by=alice, manage=True)
    response = api.as_key(limited).call(
        "patch", f"/{api_key[0].public_id}", {"permissions": ["read", "write"]}
    )
    assert response.status_code == 403
    api_key[0].refresh_from_db()
    assert api_key[0].permissions == ["read"]


def test_rotation_without_grace_stops_the_old_key_at_once(api, api_key, client):
    old, old_plaintext = api_key
    response = api.call("post", f"/{old.public_id}/rotate")
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    new = response.json()
    assert new["rotated_from"] == old.public_id
    assert new["name"] == old.name
    verify = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {old_plaintext}")
    assert verify.json()["error"]["code"] == "revoked_api_key"
    verify = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {new['key']}")
    assert verify.status_code == 200
    old.refresh_from_db()
    assert old.revoked_reason == "rotated"
    assert AuditEvent.objects.filter(action="key_rotated", target_id=old.public_id).exists()


def test_rotation_with_grace_keeps_the_old_key_working_until_then(api, api_key, client):
    old, old_plaintext = api_key
    response = api.call("post", f"/{old.public_id}/rotate", {"grace_seconds": 3600})
    assert response.status_code == 201
    verify = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {old_plaintext}")
    assert verify.status_code == 200
    old.refresh_from_db()
    assert timedelta(minutes=59) < old.revoked_at - timezone.now() <= timedelta(hours=1)
    assert api.call("post", f"/{old.public_id}/rotate").status_code == 409


def test_rotation_refuses_a_grace_beyond_a_week(api, api_key):
    response = api.call("post", f"/{api_key[0].public_id}/rotate", {"grace_seconds": 8 * 86400})
    assert response.status_code == 422


def test_delete_revokes_and_keeps_the_record(api, api_key, client):
    key, plaintext = api_key
    response = api.call("delete", f"/{key.public_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert ApiKey.objects.filter(pk=key.pk).exists()
    verify = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert verify.json()["error"]["code"] == "revoked_api_key"
    assert AuditEvent.objects.filter(action="key_revoked", target_id=key.public_id).count() == 1
    # Again: nothing changes, nothing more is recorded.
    assert api.call("delete", f"/{key.public_id}").json()["status"] == "revoked"
    assert AuditEvent.objects.filter(action="key_revoked", target_id=key.public_id).count() == 1
