"""An expiry no database can read back never reaches a row, whatever the entry point.

Once, `PATCH {"expires_at": "0001-01-01T00:00:00+01:00"}` answered 200 on PostgreSQL and left a
row psycopg could not read: the key could no longer be verified, listed or revoked. Each entry
point (the API's create and change, the dashboard's create and edit, the command) is fed the
extremes here; then the key that holds the latest allowed expiry is listed, verified and
revoked, on whichever database the suite runs.
"""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from keys.models import LATEST_EXPIRY, ApiKey, clean_expiry, issue_api_key

URL = "/v1/api-keys"

# Each would be stored as a year no database reads back, or a time already past.
UNREADABLE = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    "9999-12-31T00:00:00Z",
    "2020-01-01T00:00:00Z",  # past: a key born expired
]
LATEST = "9999-12-30T00:00:00Z"


@pytest.fixture
def manager(development, alice):
    _, plaintext = issue_api_key(
        environment=development, name="automation", by=alice, write=True, manage=True
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def call(client, headers, method, path="", body=None):
    kwargs = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(URL + path, **kwargs)


def assert_usable_everywhere(client, manager, key_id, plaintext):
    """The row reads back through every path that once answered 500 for a poisoned row."""
    listed = call(client, manager, "get")
    assert listed.status_code == 200
    assert key_id in [item["id"] for item in listed.json()["items"]]
    one = call(client, manager, "get", f"/{key_id}")
    assert one.status_code == 200
    assert one.json()["expires_at"].startswith("9999-12-30T00:00:00")
    if plaintext:
        verified = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        assert verified.status_code == 200, verified.content
    revoked = call(client, manager, "delete", f"/{key_id}")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"


@pytest.mark.parametrize("value", UNREADABLE)
def test_it_refuses_an_unreadable_expiry_on_create(client, manager, value):
    before = ApiKey.objects.count()
    response = call(
        client,
        manager,
        "post",
        body={"name": "x", "environment": "development", "expires_at": value},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "expires_at" in response.json()["error"]["message"]
    assert ApiKey.objects.count() == before


@pytest.mark.parametrize("value", UNREADABLE)
def test_it_refuses_an_unreadable_expiry_on_change(client, manager, api_key, value):
    key, plaintext = api_key
    response = call(client, manager, "patch", f"/{key.public_id}", {"expires_at": value})
    assert response.status_code == 422
    key.refresh_from_db()
    assert key.expires_at is None
    assert (
        client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    )


def test_an_offset_beyond_what_postgresql_takes_is_stored_in_utc(client, manager):
    response = call(
        client,
        manager,
        "post",
        body={"name": "x", "environment": "development", "expires_at": "2031-01-01T00:00:00+16:00"},
    )
    assert response.status_code == 201
    key = ApiKey.objects.get(public_id=response.json()["id"])
    assert key.expires_at == datetime(2030, 12, 31, 8, 0, tzinfo=UTC)


def test_the_latest_expiry_works_everywhere_through_the_api(client, manager):
    response = call(
        client,
        manager,
        "post",
        body={"name": "long", "environment": "development", "expires_at": LATEST},
    )
    assert response.status_code == 201
    body = response.json()
    assert_usable_everywhere(client, manager, body["id"], body["key"])


def test_the_latest_expiry_set_by_a_change_works_everywhere(client, manager, api_key):
    key, plaintext = api_key
    response = call(client, manager, "patch", f"/{key.public_id}", {"expires_at": LATEST})
    assert response.status_code == 200
    assert_usable_everywhere(client, manager, key.public_id, plaintext)


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "2020-01-01T00:00:00"]
)
def test_the_edit_form_refuses_an_unreadable_expiry(client, alice, api_key, value):
    key, _ = api_key
    client.force_login(alice)
    response = client.post(
        f"/keys/{key.public_id}/edit/",
        {
            "name": "CI deploys",
            "description": "",
            "expires_at": value,
            "allowed_ips": "",
            "rate_limit": "",
        },
    )
    assert response.status_code == 422
    assert "The expiry must be" in response.content.decode()
    key.refresh_from_db()
    assert key.expires_at is None


def test_the_edit_form_keeps_an_expiry_already_past(client, alice, development):
    """Renaming an expired key must not demand a new expiry first."""
    key, _ = issue_api_key(environment=development, name="old", by=alice)
    past = timezone.now() - timedelta(days=1)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=past)
    client.force_login(alice)
    response = client.post(
        f"/keys/{key.public_id}/edit/",
        {
            "name": "renamed",
            "description": "",
            "expires_at": past.strftime("%Y-%m-%dT%H:%M:%S"),
            "allowed_ips": "",
            "rate_limit": "",
        },
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.expires_at) == ("renamed", past)


def test_the_latest_expiry_from_the_edit_form_reads_back(client, alice, api_key, manager):
    key, plaintext = api_key
    client.force_login(alice)
    response = client.post(
        f"/keys/{key.public_id}/edit/",
        {
            "name": "CI deploys",
            "description": "",
            "expires_at": "9999-12-30T00:00:00",
            "allowed_ips": "",
            "rate_limit": "",
        },
    )
    assert response.status_code == 302
    for page in ("/keys/", f"/keys/{key.public_id}/", "/quickstart/"):
        assert client.get(page).status_code == 200
    assert_usable_everywhere(client, manager, key.public_id, plaintext)


@pytest.mark.parametrize("days", ["0", "-3", "3000000", "999999999", "10000000000"])
def test_the_command_refuses_an_unreadable_expiry(development, days):
    with pytest.raises(CommandError, match="--expires-in"):
        call_command(
            "create_api_key",
            "--project",
            "billing-api",
            "--environment",
            "development",
            "--name",
            "x",
            "--expires-in",
            days,
            stdout=io.StringIO(),
        )
    assert not ApiKey.objects.exists()


def test_a_key_from_the_command_with_a_long_expiry_reads_back(client, development, manager):
    out = io.StringIO()
    call_command(
        "create_api_key",
        "--project",
        "billing-api",
        "--environment",
        "development",
        "--name",
        "long",
        "--expires-in",
        "2000000",
        stdout=out,
    )
    plaintext = out.getvalue().strip()
    key = ApiKey.objects.get(name="long")
    assert key.expires_at < LATEST_EXPIRY
    assert (
        client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    )
    call_command("revoke_api_key", key.public_id, "--reason", "test", stdout=io.StringIO())
    key.refresh_from_db()
    assert key.status == "revoked"


def test_the_rule_normalises_to_utc():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    value = datetime.fromisoformat("2030-06-01T12:00:00+05:30")
    assert clean_expiry(value, now=now) == datetime(2030, 6, 1, 6, 30, tzinfo=UTC)
    assert clean_expiry(value, now=now).tzinfo is UTC
