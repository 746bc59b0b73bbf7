"""Two hosts (two gunicorn masters, two workers each) on one PostgreSQL and one Redis, all
started and owned here, so that this test can stop and restart them.

Proves, under load: a revocation made through one host holds on the other from the very next
request; the rate limit is shared exactly; a session made on one host works on the other; and
the outages of DESIGN.md section 10 behave as specified on both hosts, then recover.
"""

import contextlib
import http.client
import json
import os
import re
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from keys.counters import RETRY_SHARED_AFTER
from tests.server import free_port, get, gunicorn, manage, postgres_cluster, redis_server

pytestmark = [
    pytest.mark.process,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs in the PostgreSQL leg of the suite (.ci/run), which has the binaries",
    ),
]

PASSWORD = "two-hosts-password-9"
SEED = f"""
import json
from django.contrib.auth.models import User
from environments.models import create_environment, create_organization, create_project
from keys.models import issue_api_key

alice = User.objects.create_user("alice", password="{PASSWORD}")
acme = create_organization(name="Acme", admin=alice)
project = create_project(organization=acme, name="Billing", by=alice)
env = create_environment(project=project, name="production", by=alice)
keys = {{}}
for name, fields in [
    ("hot", {{}}),
    ("admin", {{"write": True, "manage": True}}),
    ("limited", {{"rate_limit": 20}}),
    ("later", {{"rate_limit": 4}}),
    ("revoked", {{}}),
]:
    key, plaintext = issue_api_key(environment=env, name=name, by=alice, **fields)
    keys[name] = {{"id": key.public_id, "key": plaintext}}
revoked = keys["revoked"]
from keys.models import ApiKey, revoke_api_key
revoke_api_key(key=ApiKey.objects.get(public_id=revoked["id"]), by=alice, reason="old")
print(json.dumps(keys))
"""


class Redis:
    """A Redis this test may stop, and bring back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.running = contextlib.ExitStack()

    def start(self):
        self.running.enter_context(redis_server(port=self.port))

    def stop(self):
        self.running.close()


@pytest.fixture(scope="module")
def hosts():
    redis = Redis()
    with postgres_cluster() as cluster, redis.running:
        redis.start()
        manage("migrate", "--noinput", "-v0", database_url=cluster.url())
        seeded = manage("shell", "-c", SEED, database_url=cluster.url())
        keys = json.loads(seeded.strip().splitlines()[-1])
        env = {"DATABASE_URL": cluster.url(), "REDIS_URL": redis.url}
        with gunicorn(workers=2, env=env) as (a, _), gunicorn(workers=2, env=env) as (b, _):
            yield {"a": a, "b": b, "keys": keys, "cluster": cluster, "redis": redis}


def bearer(key):
    return {"Authorization": f"Bearer {key}", "Connection": "close"}


def verify(base, key):
    return get(base + "/v1/auth/verify", bearer(key))


def request(base, method, path, body=None, headers=None):
    """(status, headers as a list, body) without following redirects."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode()
    finally:
        connection.close()


def cookies(headers):
    return dict(
        value.split(";", 1)[0].split("=", 1) for name, value in headers if name == "Set-Cookie"
    )


def test_a_revocation_through_one_host_holds_on_the_other_at_once(hosts):
    hot = hosts["keys"]["hot"]
    admin = hosts["keys"]["admin"]["key"]
    answers = []  # (started, host, status)
    stop = threading.Event()

    def hammer(host):
        deadline = time.monotonic() + 20
        for _ in range(2000):  # bounded in count and in time
            if stop.is_set() or time.monotonic() > deadline:
                return
            started = time.monotonic()
            status, _, _ = verify(hosts[host], hot["key"])
            answers.append((started, host, status))

    with ThreadPoolExecutor(max_workers=4) as pool:
        workers = [pool.submit(hammer, host) for host in ("a", "b", "a", "b")]
        time.sleep(1.5)
        status, _, body = request(
            hosts["a"], "DELETE", f"/v1/api-keys/{hot['id']}", headers=bearer(admin)
        )
        committed = time.monotonic()  # the answer comes after the commit
        assert status == 200, body
        time.sleep(1.5)
        stop.set()
        for worker in workers:
            worker.result()

    before = [a for a in answers if a[0] < committed]
    after = [a for a in answers if a[0] > committed]
    assert {s for _, _, s in before} >= {200}
    assert {h for _, h, _ in after} == {"a", "b"}
    late = [a for a in after if a[2] != 401]
    assert late == [], f"{len(late)} answers other than 401 after the revocation committed"


def test_the_rate_limit_is_shared_exactly(hosts):
    limited = hosts["keys"]["limited"]["key"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: verify(hosts["ab"[n % 2]], limited)[0], range(60)))
    assert statuses.count(200) == 20
    assert statuses.count(429) == 40


def sign_in(base):
    """Sign alice in through `base`; her session cookie."""
    status, headers, page = request(base, "GET", "/accounts/login/")
    assert status == 200
    csrf = cookies(headers)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"login": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    status, headers, _ = request(
        base,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        },
    )
    assert status == 302
    return cookies(headers)["sessionid"]


def test_a_session_made_on_one_host_works_on_the_other(hosts):
    session = sign_in(hosts["a"])
    status, _, page = request(
        hosts["b"], "GET", "/keys/", headers={"Cookie": f"sessionid={session}"}
    )
    assert status == 200
    assert "limited" in page  # alice's keys, served by the other host


def both(hosts, path, headers=None):
    return [get(hosts[h] + path, headers) for h in ("a", "b")]


def test_a_redis_outage_degrades_counting_only_then_recovers(hosts):
    keys = hosts["keys"]
    hosts["redis"].stop()
    try:
        for _ in range(3):  # each host, several workers: valid keys pass, revoked ones do not
            for status, _, _ in both(hosts, "/v1/auth/verify", bearer(keys["limited"]["key"])):
                assert status in (200, 429)
            for status, _, body in both(hosts, "/v1/auth/verify", bearer(keys["revoked"]["key"])):
                assert status == 401
                assert json.loads(body)["error"]["code"] == "revoked_api_key"
        for status, _, _ in both(hosts, "/v1/auth/verify", bearer(keys["admin"]["key"])):
            assert status == 200
        for status, _, body in both(hosts, "/readyz"):
            assert status == 200
            assert json.loads(body) == {"status": "degraded", "failing": ["cache"]}
    finally:
        hosts["redis"].start()
    for status, _, body in both(hosts, "/readyz"):
        assert (status, json.loads(body)) == (200, {"status": "ok"})
    time.sleep(RETRY_SHARED_AFTER + 0.5)  # every worker tries Redis again on its next request
    later = keys["later"]["key"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: verify(hosts["ab"[n % 2]], later)[0], range(16)))
    assert statuses.count(200) == 4, "shared counting again after Redis came back"


def test_a_database_outage_answers_503_then_every_worker_recovers(hosts):
    keys = hosts["keys"]
    hot = keys["admin"]["key"]
    session = {"Cookie": f"sessionid={sign_in(hosts['b'])}"}
    for status, _, _ in both(hosts, "/v1/auth/verify", bearer(hot)):
        assert status == 200  # every worker holds a persistent connection now
    hosts["cluster"].stop()
    try:
        for _ in range(2):
            for status, headers, body in both(hosts, "/v1/auth/verify", bearer(hot)):
                assert status == 503
                assert json.loads(body)["error"]["code"] == "service_unavailable"
                assert headers["Retry-After"].isdigit()
            for status, _, body in both(hosts, "/v1/api-keys", bearer(hot)):
                assert status == 503
                assert json.loads(body)["error"]["code"] == "service_unavailable"
            for status, _, body in both(hosts, "/keys/", session):
                assert status == 503
                assert "cannot reach its database" in body
                assert "Traceback" not in body
            for status, _, _ in both(hosts, "/livez"):
                assert status == 200
            for status, _, body in both(hosts, "/readyz"):
                assert status == 503
                assert json.loads(body) == {"status": "unavailable", "failing": ["database"]}
    finally:
        hosts["cluster"].start()
    # No restart: from the very first request after the database is back, every answer is right.
    for _ in range(6):
        for status, _, body in both(hosts, "/v1/auth/verify", bearer(hot)):
            assert status == 200, body
        for status, _, body in both(hosts, "/keys/", session):
            assert status == 200
            assert "limited" in body
