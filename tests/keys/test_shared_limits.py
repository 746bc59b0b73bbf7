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


def test_the_counters_work_on_redis_itself(settings):
    """`increment` relies on incr raising ValueError for a missing key: Redis's client does."""
    from keys.verification import increment

    with redis_server() as url:
        cache = RedisCache(url, {})
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
        from django.core.cache import cache as default

        assert increment("kd:test:counter", timeout=60) == 1
        assert increment("kd:test:counter", timeout=60) == 2
        assert cache.get("kd:test:counter") == 2
        assert default.get("kd:test:counter") == 2
