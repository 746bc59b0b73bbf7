"""Free text (names, descriptions, reasons) follows one rule, keys/text.py, everywhere.

Trimmed; refused when empty after trimming, too long, or carrying controls or bidirectional
marks (U+202E shows `txt.exe` as `exe.txt`). The API and the dashboard refuse the same texts.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from environments.models import Environment, Project
from keys.models import ApiKey
from keys.text import NAME_MAX, InvalidText, clean_text

REFUSED_NAMES = [
    " ",
    "\t \n",
    "",
    "invoice\u202etxt.exe",
    "a\u200eb",
    "a\u200fb",
    "a\u2066b\u2069",
    "a\x00b",
    "a\x1bb",
    "a\x85b",
    "two\nlines",
    "x" * (NAME_MAX + 1),
]


@pytest.mark.parametrize("text", REFUSED_NAMES)
def test_it_refuses_a_name(text):
    with pytest.raises(InvalidText):
        clean_text(text, max_length=NAME_MAX)


def test_it_trims_and_keeps_ordinary_text():
    assert clean_text("  Déploiement — 部署 🚀 ", max_length=NAME_MAX) == "Déploiement — 部署 🚀"
    assert clean_text(" a\r\n\tb ", max_length=50, multiline=True) == "a\n\tb"
    assert clean_text("  ", max_length=50, required=False) == ""


def test_a_description_may_break_lines_but_not_hide_text():
    with pytest.raises(InvalidText, match="U\\+202E"):
        clean_text("a\n\u202eb", max_length=50, multiline=True)
    with pytest.raises(InvalidText, match="U\\+0000"):
        clean_text("a\x00", max_length=50, multiline=True)


def post_json(client, url, body, headers, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **headers
    )


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_the_api_and_the_dashboard_refuse_the_same_names(client, alice, manager, api_key, name):
    key, _ = api_key
    before = ApiKey.objects.count()
    created = post_json(
        client, "/v1/api-keys", {"name": name, "environment": "development"}, manager
    )
    assert created.status_code == 422
    assert created.json()["error"]["code"] == "invalid_request"
    assert "name" in created.json()["error"]["message"]
    changed = post_json(
        client, f"/v1/api-keys/{key.public_id}", {"name": name}, manager, method="patch"
    )
    assert changed.status_code == 422
    client.force_login(alice)
    form = client.post(
        "/projects/billing-api/environments/development/keys/new/", {"name": name, "expires_in": ""}
    )
    assert form.status_code == 422
    edited = client.post(f"/keys/{key.public_id}/edit/", {"name": name, "description": ""})
    assert edited.status_code == 422
    assert ApiKey.objects.count() == before
    key.refresh_from_db()
    assert key.name == "CI deploys"


def test_names_are_trimmed_through_the_api_and_the_dashboard(client, alice, manager, api_key):
    key, _ = api_key
    created = post_json(
        client, "/v1/api-keys", {"name": "  deploy  ", "environment": "development"}, manager
    )
    assert created.status_code == 201
    assert created.json()["name"] == "deploy"
    client.force_login(alice)
    client.post(
        f"/keys/{key.public_id}/edit/",
        {"name": "  renamed ", "description": " line one\r\nline two "},
    )
    key.refresh_from_db()
    assert (key.name, key.description) == ("renamed", "line one\nline two")


def test_the_schema_states_the_bounds(client):
    schema = client.get("/v1/openapi.json").json()["components"]["schemas"]["KeyIn"]
    assert schema["properties"]["name"]["maxLength"] == NAME_MAX
    assert schema["properties"]["name"]["minLength"] == 1


@pytest.mark.parametrize("reason", [" ", "leaked\u202e", "r" * 201])
def test_a_revocation_reason_is_checked_in_the_form(client, alice, api_key, reason):
    key, _ = api_key
    client.force_login(alice)
    response = client.post("/keys/revoke/", {"keys": [key.public_id], "reason": reason})
    assert response.status_code == 422
    key.refresh_from_db()
    assert key.revoked_at is None


@pytest.mark.parametrize("name", [" ", "Billing\u202eAPI", "a\x07"])
def test_projects_and_environments_refuse_hidden_text(client, alice, development, name):
    client.force_login(alice)
    assert client.post("/projects/", {"name": name}).status_code == 422
    response = client.post("/projects/billing-api/environments/new/", {"name": name})
    assert response.status_code == 422
    assert Project.objects.count() == 1
    assert Environment.objects.count() == 1


def test_the_commands_refuse_hidden_text(development, api_key):
    key, _ = api_key
    args = ["--project", "billing-api", "--environment", "development"]
    with pytest.raises(CommandError, match="--name"):
        call_command("create_api_key", *args, "--name", "a\u202eb", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--reason"):
        call_command("revoke_api_key", key.public_id, "--reason", " ", stdout=io.StringIO())
    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.count() == 1
