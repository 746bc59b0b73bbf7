"""A verification's writes on the side (last use, usage counts) never fail or stall it."""

import logging
import time

import pytest

from keys.models import ApiKey, issue_api_key
from keys.verification import side_writes
from tests.conftest import bearer
from tests.faults.conftest import locked_key_row, read_only_database

pytestmark = pytest.mark.django_db(transaction=True)

VERIFY = "/v1/auth/verify"


def test_a_read_only_database_still_verifies_and_the_counts_wait(
    client, development, alice, caplog
):
    first, one = issue_api_key(environment=development, name="one", by=alice)
    _, two = issue_api_key(environment=development, name="two", by=alice)
    with read_only_database(), caplog.at_level(logging.WARNING, logger="keys.verification"):
        for key in (one, one, two, two):
            response = client.get(VERIFY, **bearer(key))
            assert response.status_code == 200
            assert response.json()["valid"] is True
    # Skipped and logged once, not once per request.
    lines = [r for r in caplog.records if "Could not write" in r.getMessage()]
    assert len(lines) == 1
    first.refresh_from_db()
    assert first.last_used_at is None
    # Later, with the database writable again, the counts kept meanwhile are written.
    side_writes.paused_until = time.monotonic() - 1
    assert client.get(VERIFY, **bearer(one)).status_code == 200
    first.refresh_from_db()
    assert first.last_used_at is not None
    assert first.usage.get().requests == 3


def test_a_locked_database_does_not_stall_a_verification(client, development, alice):
    key, plaintext = issue_api_key(environment=development, name="k", by=alice)
    with locked_key_row(key.pk):
        started = time.monotonic()
        response = client.get(VERIFY, **bearer(plaintext))
        took = time.monotonic() - started
    assert response.status_code == 200
    assert took < 2, f"a verification waited {took:.1f} s for a lock"
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None  # skipped, not waited for


def test_readyz_notices_a_database_that_cannot_be_written(client, db):
    with read_only_database():
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "failing": ["database_writes"]}
    assert client.get("/readyz").json() == {"status": "ok"}
