"""`POST /v1/credentials/revoke` against a real gunicorn: anyone can kill a leaked key, and
the answer never says whether a string was one."""

import itertools
import json

import pytest

from audit.models import Action, AuditEvent
from keys import tokens
from keys.models import ApiKey, Status, issue_api_key, rotate_api_key
from tests.server import gunicorn, send

pytestmark = [pytest.mark.process, pytest.mark.django_db(transaction=True)]

# One proxy in front: each test reports from its own address, so limits do not cross tests.
SERVER_ENV = {"TRUSTED_PROXY_COUNT": "1", "LEAK_REPORT_RATE_LIMIT": "5"}
ADDRESSES = itertools.count(1)


@pytest.fixture(scope="module")
def server(django_db_setup):
    with gunicorn(workers=1, env=SERVER_ENV) as (base, _log):
        yield base


def report(server, body, address="203.0.113.7", **headers):
    return send(
        server + "/v1/credentials/revoke",
        body,
        headers={"X-Forwarded-For": address, "User-Agent": "leak-reporter/1", **headers},
    )


def forged():
    """A string of the key's shape whose checksum fails."""
    real = tokens.generate("test")
    return real[:-1] + ("A" if real[-1] != "A" else "B")


def test_it_revokes_a_reported_key_and_records_who_reported_it(server, development, alice):
    leaked, plaintext = issue_api_key(environment=development, name="leaked", by=alice)
    other, _ = issue_api_key(environment=development, name="kept", by=alice)
    unknown = tokens.generate("test")

    status, _, body = report(server, {"credentials": [plaintext, unknown, "hello", forged()]})

    assert (status, json.loads(body)) == (202, {"received": 4})
    leaked.refresh_from_db()
    assert leaked.status == Status.REVOKED
    assert leaked.revoked_reason == "reported leaked"
    assert ApiKey.objects.get(pk=other.pk).status == Status.ACTIVE
    event = AuditEvent.objects.get(action=Action.KEY_LEAKED)
    assert event.target_id == leaked.public_id
    assert event.metadata["source"] == "public report"
    assert event.metadata["reason"] == "reported leaked"
    assert event.metadata["hint"] == leaked.hint
    assert event.ip == "203.0.113.7"
    assert event.user_agent == "leak-reporter/1"
    assert plaintext not in json.dumps(event.as_record())

    # Reported again: already dead, nothing more is recorded.
    status, _, body = report(server, {"credentials": [plaintext]}, address="203.0.113.8")
    assert (status, json.loads(body)) == (202, {"received": 1})
    assert AuditEvent.objects.filter(action=Action.KEY_LEAKED).count() == 1


def test_the_answer_is_the_same_for_a_key_and_a_stranger(server, development, alice):
    _, plaintext = issue_api_key(environment=development, name="leaked", by=alice)
    known = report(server, {"credentials": [plaintext]}, address="203.0.113.9")
    stranger = report(server, {"credentials": [tokens.generate("test")]}, address="203.0.113.10")
    assert known[0] == stranger[0] == 202
    assert known[2] == stranger[2]


def test_a_key_in_its_rotation_grace_is_stopped_at_once(server, development, alice):
    old, plaintext = issue_api_key(environment=development, name="rotating", by=alice)
    rotate_api_key(key=old, by=alice, grace_seconds=3600)
    old.refresh_from_db()
    assert old.revokes_later

    assert report(server, {"credentials": [plaintext]}, address="203.0.113.11")[0] == 202

    old.refresh_from_db()
    assert old.status == Status.REVOKED
    assert old.revoked_reason == "reported leaked"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'{"credentials": "kd_test_x"}',
        b'{"credentials": [1, 2]}',
        b'{"keys": []}',
        json.dumps({"credentials": ["x"] * 101}).encode(),
        b'{"credentials": ["\xff"]}',
    ],
    ids=["text", "empty", "array", "string", "numbers", "other-field", "101", "bad-utf8"],
)
def test_a_body_that_is_not_the_contract_is_a_400(server, development, alice, body):
    address = f"198.51.100.{next(ADDRESSES)}"
    key, plaintext = issue_api_key(environment=development, name="kept", by=alice)
    if body == b"[]":
        body = json.dumps([plaintext]).encode()

    status, _, text = report(server, body, address=address, **{"Content-Type": "application/json"})

    assert status == 400
    assert json.loads(text)["error"]["code"] == "invalid_request"
    assert ApiKey.objects.get(pk=key.pk).status == Status.ACTIVE


def test_an_oversized_body_is_refused_unread(server):
    body = json.dumps({"credentials": ["x" * 70_000]}).encode()
    status, _, text = report(server, body, address="203.0.113.13")
    assert status == 413
    assert json.loads(text)["error"]["code"] == "payload_too_large"


def test_reports_are_limited_per_address(server, development, alice):
    for _ in range(5):
        assert report(server, {"credentials": []}, address="203.0.113.14")[0] == 202

    key, plaintext = issue_api_key(environment=development, name="late", by=alice)
    status, headers, text = report(server, {"credentials": [plaintext]}, address="203.0.113.14")
    assert status == 429
    assert json.loads(text)["error"]["code"] == "rate_limited"
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert ApiKey.objects.get(pk=key.pk).status == Status.ACTIVE

    # Another address is not held back by this one.
    assert report(server, {"credentials": [plaintext]}, address="203.0.113.15")[0] == 202
    assert ApiKey.objects.get(pk=key.pk).status == Status.REVOKED
