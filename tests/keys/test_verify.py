"""GET /v1/auth/verify: every answer of the contract, with its headers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from keys import tokens
from keys.counters import counters
from keys.models import ApiKey, KeyUsage, issue_api_key, revoke_api_key, update_api_key
from keys.verification import ip_allowed
from tests.conftest import bearer

URL = "/v1/auth/verify"


def error_code(response):
    return response.json()["error"]["code"]


def assert_rate_limit_headers(response):
    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert response[name].isdigit(), name


def test_it_answers_200_with_the_key(client, api_key):
    key, plaintext = api_key
    response = client.get(URL, **bearer(plaintext))
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "key": {
            "id": key.public_id,
            "name": "CI deploys",
            "environment": "development",
            "project": "billing-api",
            "permissions": ["read"],
            "expires_at": None,
        },
    }
    assert_rate_limit_headers(response)
    assert response["RateLimit-Limit"] == "600"
    assert response["RateLimit-Remaining"] == "599"


def test_it_checks_asked_permissions(client, development, alice):
    _, plaintext = issue_api_key(environment=development, name="w", by=alice, write=True)
    assert client.get(URL + "?permissions=read,write", **bearer(plaintext)).status_code == 200
    response = client.get(URL + "?permissions=read,manage", **bearer(plaintext))
    assert response.status_code == 403
    assert error_code(response) == "insufficient_permissions"
    assert "manage" in response.json()["error"]["message"]
    assert_rate_limit_headers(response)


def test_it_refuses_unknown_permissions(client, api_key):
    response = client.get(URL + "?permissions=read,admin", **bearer(api_key[1]))
    assert response.status_code == 400
    assert error_code(response) == "invalid_permissions"


@pytest.mark.parametrize("name", ["api_key", "key", "token"])
def test_a_key_in_the_url_is_refused_first(client, api_key, name):
    response = client.get(f"{URL}?{name}={api_key[1]}", **bearer(api_key[1]))
    assert response.status_code == 400
    assert error_code(response) == "api_key_in_url"
    response = client.get(f"{URL}?{name}=anything")  # before the missing-key 401 too
    assert error_code(response) == "api_key_in_url"


def test_a_missing_key_is_401(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_code(response) == "missing_api_key"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kd_live_short",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "Bearer " + "kd_live_" + "a" * 46,  # right shape, wrong checksum
        "Token " + tokens.generate("live"),
    ],
    ids=["short", "basic-scheme", "empty-bearer", "bad-checksum", "token-scheme"],
)
def test_a_malformed_key_is_401_without_a_query(client, db, header):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_code(response) == "malformed_api_key"
    assert len(queries) == 0


def test_an_unknown_key_is_401(client, db):
    response = client.get(URL, **bearer(tokens.generate("live")))
    assert response.status_code == 401
    assert error_code(response) == "invalid_api_key"
    assert response["WWW-Authenticate"] == "Bearer"


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def test_every_answer_carries_the_security_headers_and_no_session(client, api_key, alice):
    """Verification skips the session middleware (keys.middleware.VerifyLaneMiddleware), not
    the headers every answer carries; a browser's session cookie is neither read nor renewed."""
    livez = client.get("/livez")
    client.force_login(alice)
    answers = {
        200: client.get(URL, **bearer(api_key[1])),
        401: client.get(URL),
        405: client.post(URL, **bearer(api_key[1])),
    }
    for status, response in answers.items():
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        for name in SECURITY_HEADERS:
            assert response[name] == livez[name], (status, name)
        assert "Set-Cookie" not in response and not response.cookies, status
        assert "Cookie" not in response.get("Vary", ""), status


def test_a_valid_hot_key_costs_one_query(client, api_key):
    client.get(URL, **bearer(api_key[1]))  # first use writes last_used_at
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get(URL, **bearer(api_key[1])).status_code == 200
    assert len(queries) == 5


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs in the PostgreSQL leg of the suite (.ci/run)"
)
def test_the_lookup_is_a_prepared_statement_on_postgresql(client, api_key):
    """Django turns psycopg's prepared statements off; config/settings.py turns them back on."""
    for _ in range(6):
        assert client.get(URL, **bearer(api_key[1])).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [statement for (statement,) in cursor.fetchall()]
    assert [s for s in statements if "FROM keys_apikey k" in s and "$1" in s]


def test_a_revoked_key_fails_on_the_next_request(client, api_key, alice):
    key, plaintext = api_key
    assert client.get(URL, **bearer(plaintext)).status_code == 200
    revoke_api_key(key=key, by=alice, reason="leaked")
    response = client.get(URL, **bearer(plaintext))
    assert response.status_code == 401
    assert error_code(response) == "revoked_api_key"


def test_an_expired_key_fails_and_is_recorded_once(client, development, alice):
    key, plaintext = issue_api_key(
        environment=development,
        name="old",
        by=alice,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    for _ in range(3):
        response = client.get(URL, **bearer(plaintext))
        assert response.status_code == 401
        assert error_code(response) == "expired_api_key"
    events = AuditEvent.objects.filter(action="key_expired")
    assert events.count() == 1
    assert events.get().target_id == key.public_id


def test_a_new_expiry_is_recorded_again_when_it_comes(client, development, alice):
    key, plaintext = issue_api_key(
        environment=development, name="k", by=alice, expires_at=timezone.now() - timedelta(1)
    )
    verify = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    client.get("/v1/auth/verify", **verify)
    update_api_key(key=key, by=alice, changes={"expires_at": timezone.now() - timedelta(seconds=1)})
    client.get("/v1/auth/verify", **verify)
    assert AuditEvent.objects.filter(action="key_expired").count() == 2


def test_a_rotated_key_works_until_its_grace_ends(client, api_key, alice):
    key, plaintext = api_key
    key.revoke(by=alice, reason="rotated", at=timezone.now() + timedelta(hours=1))
    assert client.get(URL, **bearer(plaintext)).status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now() - timedelta(seconds=1))
    assert error_code(client.get(URL, **bearer(plaintext))) == "revoked_api_key"


def test_it_limits_the_rate_per_key(client, development, alice):
    _, plaintext = issue_api_key(environment=development, name="slow", by=alice, rate_limit=3)
    remaining = [client.get(URL, **bearer(plaintext))["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    response = client.get(URL, **bearer(plaintext))
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert response["RateLimit-Remaining"] == "0"
    assert_rate_limit_headers(response)


def test_the_environment_default_limit_applies(client, development, alice):
    development.default_rate_limit = 2
    development.save()
    _, plaintext = issue_api_key(environment=development, name="k", by=alice)
    assert client.get(URL, **bearer(plaintext))["RateLimit-Limit"] == "2"


def test_limits_are_counted_per_key(client, development, alice):
    _, one = issue_api_key(environment=development, name="one", by=alice, rate_limit=1)
    _, two = issue_api_key(environment=development, name="two", by=alice, rate_limit=1)
    assert client.get(URL, **bearer(one)).status_code == 200
    assert client.get(URL, **bearer(two)).status_code == 200
    assert client.get(URL, **bearer(one)).status_code == 429


def test_it_enforces_the_ip_allowlist(client, development, alice):
    _, plaintext = issue_api_key(
        environment=development, name="ip", by=alice, allowed_ips=["10.1.0.0/16", "::1/128"]
    )
    assert client.get(URL, REMOTE_ADDR="10.1.2.3", **bearer(plaintext)).status_code == 200
    response = client.get(URL, REMOTE_ADDR="10.2.0.1", **bearer(plaintext))
    assert response.status_code == 403
    assert error_code(response) == "ip_not_allowed"
    assert_rate_limit_headers(response)


def test_an_ipv4_client_on_a_dual_stack_listener_matches_ipv4_networks(client, development, alice):
    _, plaintext = issue_api_key(
        environment=development, name="ip", by=alice, allowed_ips=["127.0.0.0/8"]
    )
    response = client.get(
        "/v1/auth/verify",
        REMOTE_ADDR="::ffff:127.0.0.1",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    assert response.status_code == 200
    assert not ip_allowed(None, ["0.0.0.0/0"])


def test_it_ignores_forwarded_for_unless_proxies_are_trusted(client, development, alice, settings):
    _, plaintext = issue_api_key(
        environment=development, name="ip", by=alice, allowed_ips=["203.0.113.7/32"]
    )
    spoofed = {"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert client.get(URL, **spoofed, **bearer(plaintext)).status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1
    via_proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.7"}
    assert client.get(URL, **via_proxy, **bearer(plaintext)).status_code == 200
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.7, 1.2.3.4"}
    assert client.get(URL, **forged, **bearer(plaintext)).status_code == 403


def test_it_keeps_last_use_without_writing_every_time(client, api_key):
    key, plaintext = api_key
    client.get(URL, **bearer(plaintext))
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            client.get(URL, **bearer(plaintext))
    assert [q for q in queries.captured_queries if "SELECT" not in q["sql"]] == []
    key.refresh_from_db()
    assert key.last_used_at == first
    # A minute on, the next request writes the last use and flushes the day's count.
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(URL, **bearer(plaintext))
    key.refresh_from_db()
    assert key.last_used_at > first
    assert key.usage.get().requests == 5


def test_the_first_write_of_a_day_takes_the_uses_of_the_day_before(client, api_key):
    """Uses in the last minute of a day wait in the cache; the key's next write flushes them
    to their own day instead of leaving them to expire with the cache entry."""
    key, plaintext = api_key
    today = timezone.now().date()
    yesterday = today - timedelta(days=1)
    counters.give_back(KeyUsage.counter(key.pk, yesterday), 4)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(days=1))

    assert client.get(URL, **bearer(plaintext)).status_code == 200
    assert dict(key.usage.values_list("day", "requests")) == {yesterday: 4, today: 1}
    assert KeyUsage.pending([key.pk], [yesterday, today]) == {}
    assert [count for _, count in KeyUsage.per_day(key)[-2:]] == [4, 1]  # counted once


def test_the_verify_answer_never_echoes_the_secret(client, api_key):
    response = client.get(URL, **bearer(api_key[1]))
    assert api_key[1] not in response.content.decode()


def test_many_busy_keys_never_reset_a_limit_early(client, development, alice):
    """The process's own windows forget only idle keys: a thousand other busy keys must not
    push this key's count out and let it through again."""
    from keys.counters import counters

    _, plaintext = issue_api_key(environment=development, name="k", by=alice, rate_limit=2)
    for _ in range(2):
        assert client.get(URL, **bearer(plaintext)).status_code == 200
    for n in range(1000):  # the windows of a thousand other busy keys
        counters.hit(10_000 + n, 5)
    assert client.get(URL, **bearer(plaintext)).status_code == 429


def test_the_last_use_keeps_the_client_address(client, settings, api_key):
    key, plaintext = api_key
    settings.TRUSTED_PROXY_COUNT = 1
    via_proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.7"}
    client.get(URL, **via_proxy, **bearer(plaintext))
    key.refresh_from_db()
    assert key.last_used_ip == "203.0.113.7"
    # Within the minute nothing is written: the address of the first use stays.
    client.get(
        URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9", **bearer(plaintext)
    )
    key.refresh_from_db()
    assert key.last_used_ip == "203.0.113.7"
