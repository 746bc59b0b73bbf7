"""With REDIS_URL, rate limits are counted once for every worker: a real Redis, a real gunicorn."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache.backends.redis import RedisCache

from keys.models import issue_api_key
from tests.server import get, gunicorn, redis_server

pytestmark = [pytest.mark.process, pytest.mark.django_db(transaction=True)]


def test_two_workers_share_one_limit_through_redis(development, alice):
    _, plaintext = issue_api_key(environment=development, name="limited", by=alice, rate_limit=10)
    headers = {"Authorization": f"Bearer {plaintext}", "Connection": "close"}
    with (
        redis_server() as url,
        gunicorn(workers=2, env={"REDIS_URL": url}) as (base, _),
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        answers = list(pool.map(lambda _: get(base + "/v1/auth/verify", headers), range(30)))
    statuses = [status for status, _, _ in answers]
    # Per-process counters would let each of the two workers allow up to 10.
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20
    refused = next(body for status, _, body in answers if status == 429)
    assert json.loads(refused)["error"]["code"] == "rate_limited"


def test_usage_counts_are_taken_from_redis_once(settings):
    """The counts a usage write takes are gone from Redis; a failed write puts them back."""
    from keys.counters import counters

    with redis_server() as url:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
        for _ in range(3):
            assert counters.hit(1, 10, use_counter="kd:use:1:today").allowed
        assert counters.take_uses("kd:use:1:today") == 3
        assert counters.take_uses("kd:use:1:today") == 0
        counters.give_back("kd:use:1:today", 3)
        assert RedisCache(url, {}).get("kd:use:1:today") == 3
        assert not counters.degraded
