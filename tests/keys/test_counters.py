"""Rate limits over a sliding window, in Redis or in the process, and Redis outages."""

import logging
import time

import pytest

from keys import counters as counters_module
from keys.counters import counters
from keys.models import issue_api_key, revoke_api_key
from tests.conftest import bearer
from tests.server import redis_server

VERIFY = "/v1/auth/verify"


def use_redis(settings, url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


def busiest_span(times, window):
    """The most of `times` inside any `window` seconds, wherever the span starts."""
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


def hammer(limit, window, seconds):
    allowed = []
    deadline = time.monotonic() + seconds
    for _ in range(2000):  # bounded in count and in time
        now = time.monotonic()
        if now > deadline:
            break
        if counters.hit(7, limit).allowed:
            allowed.append(now)
        time.sleep(0.005)
    return allowed


@pytest.mark.parametrize("where", ["process", pytest.param("redis", marks=pytest.mark.process)])
def test_no_window_boundary_lets_more_than_the_limit_through(monkeypatch, settings, where):
    monkeypatch.setattr(counters_module, "WINDOW", 1)  # a one-second "minute", to be quick
    if where == "redis":
        with redis_server() as url:
            use_redis(settings, url)
            allowed = hammer(limit=10, window=1, seconds=2.6)
    else:
        allowed = hammer(limit=10, window=1, seconds=2.6)
    # A fixed window would let up to 20 through around a boundary.
    assert busiest_span(allowed, 0.95) <= 10
    assert len(allowed) >= 20  # and the limit is given back as the window slides


def test_headers_say_when_a_slot_frees(client, development, alice):
    _, plaintext = issue_api_key(environment=development, name="k", by=alice, rate_limit=2)
    assert client.get(VERIFY, **bearer(plaintext))["RateLimit-Remaining"] == "1"
    assert client.get(VERIFY, **bearer(plaintext))["RateLimit-Remaining"] == "0"
    refused = client.get(VERIFY, **bearer(plaintext))
    assert refused.status_code == 429
    assert refused["RateLimit-Remaining"] == "0"
    assert 55 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Reset"] == refused["Retry-After"]


@pytest.mark.process
def test_a_redis_outage_keeps_verification_correct_and_logs_once(
    client, development, alice, settings, monkeypatch, caplog
):
    monkeypatch.setattr(counters_module, "RETRY_SHARED_AFTER", 0.3)
    key, plaintext = issue_api_key(environment=development, name="k", by=alice, rate_limit=5)
    revoked, revoked_plaintext = issue_api_key(environment=development, name="r", by=alice)
    revoke_api_key(key=revoked, by=alice, reason="leaked")
    caplog.set_level(logging.WARNING, logger="keys.counters")

    with redis_server() as url:
        use_redis(settings, url)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        for _ in range(3):
            assert client.get(VERIFY, **bearer(plaintext)).status_code == 200
    # Redis is gone: keys still verify (valid 200, revoked 401), counted per process.
    assert client.get(VERIFY, **bearer(plaintext)).status_code == 200
    assert client.get(VERIFY, **bearer(revoked_plaintext)).status_code == 401
    assert counters.degraded
    statuses = [client.get(VERIFY, **bearer(plaintext)).status_code for _ in range(6)]
    assert statuses == [200] * 4 + [429] * 2  # this process's own count: 5 a minute
    assert client.get("/readyz").json() == {"status": "degraded", "failing": ["cache"]}
    outage = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage) == 1, "logged once per outage, not once per request"

    # Redis returns (empty, as after a restart): counting is shared again.
    with redis_server(port=port):
        time.sleep(0.35)
        assert client.get(VERIFY, **bearer(plaintext)).status_code == 200
        assert not counters.degraded
        assert client.get("/readyz").json() == {"status": "ok"}
        from django.core.cache import cache

        assert cache.get(f"kd:use:{key.pk}:" + time.strftime("%Y-%m-%d", time.gmtime())) == 1
    assert any("answers again" in r.getMessage() for r in caplog.records)


@pytest.mark.process
def test_a_redis_restart_between_two_requests_costs_no_shared_count(
    client, development, alice, settings
):
    """Each thread keeps its connection to Redis; one that Redis closed is replaced on the
    request that finds it closed, not counted in the process meanwhile."""
    _, plaintext = issue_api_key(environment=development, name="k", by=alice)
    with redis_server() as url:
        use_redis(settings, url)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert client.get(VERIFY, **bearer(plaintext))["RateLimit-Remaining"] == "599"
    with redis_server(port=port):  # the same Redis, restarted: empty, its scripts unknown
        assert client.get(VERIFY, **bearer(plaintext))["RateLimit-Remaining"] == "599"
        assert not counters.degraded
        assert client.get(VERIFY, **bearer(plaintext))["RateLimit-Remaining"] == "598"
