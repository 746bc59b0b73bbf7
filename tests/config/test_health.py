import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_livez_answers_without_io(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-store" in response["Cache-Control"]


def test_readyz_checks_the_database_and_the_cache(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "SELECT 1" in sql
    assert "UPDATE" in sql  # a write that changes nothing: writes are checked too


def test_readyz_is_degraded_not_503_when_the_cache_is_unreachable(client, db, settings):
    """Keys still verify without Redis: every host must stay in the load balancer."""
    # A real Redis client, pointed at a port where nothing listens.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "failing": ["cache"]}


@pytest.mark.parametrize("url", ["/livez", "/readyz"])
def test_health_needs_no_sign_in_and_refuses_writes(client, db, url):
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
