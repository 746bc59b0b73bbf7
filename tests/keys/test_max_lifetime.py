"""An organization's maximum lifetime for new production keys (`max_production_key_days`),
enforced the same way in the dashboard, the API, the command, edits and rotations."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import Action, AuditEvent
from environments.models import Organization
from keys.models import (
    ApiKey,
    LifetimeTooLong,
    check_lifetime,
    issue_api_key,
    rotate_api_key,
    update_api_key,
)

LIMIT = 45


@pytest.fixture
def limited(acme):
    Organization.objects.filter(pk=acme.pk).update(max_production_key_days=LIMIT)
    acme.refresh_from_db()
    return acme


def days(n):
    return timezone.now() + timedelta(days=n)


def test_only_production_keys_under_a_limit_are_checked(acme, development, production):
    check_lifetime(production, None)  # no limit yet
    Organization.objects.filter(pk=acme.pk).update(max_production_key_days=LIMIT)
    production.refresh_from_db()
    development.refresh_from_db()
    check_lifetime(development, None)
    check_lifetime(production, days(LIMIT - 1))
    for expires_at in (None, days(LIMIT + 1)):
        with pytest.raises(LifetimeTooLong, match=f"expire within {LIMIT} days"):
            check_lifetime(production, expires_at)


def test_issuing_refuses_and_writes_nothing(limited, production, alice):
    with pytest.raises(LifetimeTooLong):
        issue_api_key(environment=production, name="forever", by=alice)
    assert not ApiKey.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.KEY_CREATED).exists()


NEW = "/projects/billing-api/environments/{}/keys/new/"


def test_the_new_key_form_explains_and_offers_the_limit(client, alice, limited, production):
    client.force_login(alice)
    html = client.get(NEW.format("production")).content.decode()
    assert f"Acme allows production keys {LIMIT} days at most" in html
    assert (
        f'<option value="{LIMIT}" selected>In {LIMIT} days (the longest allowed)</option>' in html
    )


def test_the_dashboard_refuses_a_key_beyond_the_limit(client, alice, limited, production, htmx):
    client.force_login(alice)
    for expires_in in ("", "90", "365"):
        response = client.post(
            NEW.format("production"), {"name": "worker", "expires_in": expires_in}, **htmx
        )
        assert response.status_code == 422
        assert "Production keys of this organization expire within 45 days" in (
            response.content.decode()
        )
    assert not ApiKey.objects.exists()
    response = client.post(NEW.format("production"), {"name": "worker", "expires_in": str(LIMIT)})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert days(LIMIT - 1) < key.expires_at <= days(LIMIT)


def test_the_quickstart_dialog_checks_the_chosen_environment(
    client, alice, limited, development, production
):
    client.force_login(alice)
    refused = client.post(
        "/keys/new/", {"environment": production.pk, "name": "live", "expires_in": ""}
    )
    assert refused.status_code == 422
    made = client.post(
        "/keys/new/", {"environment": development.pk, "name": "dev", "expires_in": ""}
    )
    assert made.status_code == 200
    assert ApiKey.objects.get().environment == development


def test_editing_cannot_lift_the_limit(client, alice, limited, production):
    key, _ = issue_api_key(environment=production, name="k", by=alice, expires_at=days(10))
    client.force_login(alice)
    response = client.post(
        f"/keys/{key.public_id}/edit/", {"name": "k", "expires_at": "", "rate_limit": ""}
    )
    assert response.status_code == 422
    assert "expire within 45 days" in response.content.decode()
    with pytest.raises(LifetimeTooLong):
        update_api_key(key=key, by=alice, changes={"expires_at": days(LIMIT + 5)})
    key.refresh_from_db()
    assert key.expires_at < days(11)


def test_a_key_older_than_the_limit_can_still_be_edited(client, alice, acme, production):
    key, _ = issue_api_key(environment=production, name="old", by=alice)  # before the policy
    Organization.objects.filter(pk=acme.pk).update(max_production_key_days=LIMIT)
    client.force_login(alice)
    response = client.post(
        f"/keys/{key.public_id}/edit/", {"name": "renamed", "expires_at": "", "rate_limit": ""}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.expires_at) == ("renamed", None)


def test_a_rotation_shortens_an_older_keys_expiry_to_the_limit(client, alice, acme, production):
    key, _ = issue_api_key(environment=production, name="old", by=alice)  # before the policy
    Organization.objects.filter(pk=acme.pk).update(max_production_key_days=LIMIT)
    client.force_login(alice)
    html = client.get(f"/keys/{key.public_id}/rotate/").content.decode()
    assert f"allows new production keys {LIMIT} days at most" in html
    key.refresh_from_db()
    new, _ = rotate_api_key(key=key, by=alice)
    assert days(LIMIT - 1) < new.expires_at <= days(LIMIT)
    event = AuditEvent.objects.get(action=Action.KEY_ROTATED)
    assert event.metadata["successor_expires_at"] == new.expires_at.isoformat()


def test_a_rotation_keeps_an_expiry_inside_the_limit(alice, limited, production):
    key, _ = issue_api_key(environment=production, name="k", by=alice, expires_at=days(5))
    new, _ = rotate_api_key(key=key, by=alice)
    assert new.expires_at == key.expires_at


@pytest.fixture
def api(client, development, alice):
    _, plaintext = issue_api_key(
        environment=development, name="automation", by=alice, write=True, manage=True
    )

    def call(method, path, body):
        return getattr(client, method)(
            "/v1/api-keys" + path,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        )

    return call


def test_the_api_answers_422_in_the_error_shape(api, limited, production):
    response = api("post", "", {"name": "worker", "environment": "production"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "lifetime_exceeds_policy"
    assert "expire within 45 days" in error["message"]
    assert "Send expires_at no later than" in error["message"]
    late = days(LIMIT + 1).isoformat()
    response = api("post", "", {"name": "w", "environment": "production", "expires_at": late})
    assert response.status_code == 422
    ok = days(LIMIT - 1).isoformat()
    response = api("post", "", {"name": "w", "environment": "production", "expires_at": ok})
    assert response.status_code == 201
    key_id = response.json()["id"]
    response = api("patch", f"/{key_id}", {"expires_at": None})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "lifetime_exceeds_policy"
    assert ApiKey.objects.get(public_id=key_id).expires_at is not None


def test_the_command_refuses_with_a_clear_message(limited, production):
    base = ["create_api_key", "--project", "billing-api", "--environment", "production"]
    with pytest.raises(CommandError, match="give --expires-in 45 or less"):
        call_command(*base, "--name", "forever", stdout=StringIO())
    with pytest.raises(CommandError, match="give --expires-in 45 or less"):
        call_command(*base, "--name", "long", "--expires-in", "46", stdout=StringIO())
    out = StringIO()
    call_command(*base, "--name", "ok", "--expires-in", "45", stdout=out)
    assert out.getvalue().startswith("kd_live_")
    assert not ApiKey.objects.filter(name__in=["forever", "long"]).exists()
