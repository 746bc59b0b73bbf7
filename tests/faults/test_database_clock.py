"""The database's clock decides whether a revocation or an expiry has taken effect.

A web host whose clock runs off is simulated by shifting this process's clock
(django.utils.timezone.now) while the database, and its clock, stay real."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from keys.models import ApiKey, issue_api_key, revoke_api_key
from tests.conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)

VERIFY = "/v1/auth/verify"
real_now = timezone.now


def host_clock(offset):
    return mock.patch("django.utils.timezone.now", lambda: real_now() + offset)


def test_a_host_running_behind_refuses_a_key_revoked_elsewhere(client, development, alice):
    key, plaintext = issue_api_key(environment=development, name="k", by=alice)
    assert client.get(VERIFY, **bearer(plaintext)).status_code == 200
    revoke_api_key(key=key, by=alice, reason="leaked")  # on a host whose clock is right
    with host_clock(timedelta(seconds=-30)):
        response = client.get(VERIFY, **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_api_key"


def test_a_host_running_ahead_cannot_postpone_a_revocation(client, development, alice):
    key, plaintext = issue_api_key(environment=development, name="k", by=alice)
    with host_clock(timedelta(seconds=30)):
        revoke_api_key(key=key, by=alice, reason="leaked")
    key.refresh_from_db()
    assert key.revoked_at <= real_now()
    assert client.get(VERIFY, **bearer(plaintext)).status_code == 401


def test_a_host_running_behind_refuses_an_expired_key(client, development, alice):
    key, plaintext = issue_api_key(
        environment=development, name="k", by=alice, expires_at=real_now() + timedelta(days=1)
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=real_now() - timedelta(seconds=1))
    with host_clock(timedelta(seconds=-30)):
        response = client.get(VERIFY, **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "expired_api_key"


def test_a_revocation_scheduled_by_rotation_waits_for_the_database_clock(
    client, development, alice
):
    key, plaintext = issue_api_key(environment=development, name="k", by=alice)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=real_now() + timedelta(seconds=60))
    with host_clock(timedelta(seconds=120)):  # a host far ahead does not end the grace early
        assert client.get(VERIFY, **bearer(plaintext)).status_code == 200
