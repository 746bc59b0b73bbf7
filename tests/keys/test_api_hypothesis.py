"""hypothesis over every field of every /v1 body and query, on whichever database the suite
runs (SQLite, then PostgreSQL in CI): never a 5xx, every refusal in the JSON error shape, and
never a row the application cannot read back.

Each field is drawn from values near its rules (bounds, offsets, slugs, networks) and from any
JSON at all (nulls, huge numbers, nested lists, control characters, lone surrogates).
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from keys.models import ApiKey, issue_api_key

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TRICKY_TEXT = st.sampled_from(
    ["", " ", "\x00", "a\ud800", "\udfff", "\u202eexe.txt", "\u200f", "x" * 101, "a\r\nb", "é"]
)
ANY_TEXT = st.one_of(st.text(max_size=120), TRICKY_TEXT)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    ANY_TEXT,
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
DATETIMES = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(9999, 12, 31, 23, 59, 59),
        timezones=st.sampled_from([UTC, None]),
    ).map(lambda d: d.isoformat()),
    st.builds(
        lambda d, h, m, sign: d.isoformat() + f"{sign}{h:02d}:{m:02d}",
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
        st.integers(0, 23),
        st.integers(0, 59),
        st.sampled_from("+-"),
    ),
    st.sampled_from(
        ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-30T00:00:00Z"]
    ),
    st.just((datetime.now(UTC) + timedelta(days=30)).isoformat()),
)
PERMISSIONS = st.lists(st.sampled_from(["read", "write", "manage", "admin", ""]), max_size=4)
NETWORKS = st.lists(
    st.one_of(
        st.ip_addresses().map(str),
        st.sampled_from(["10.0.0.0/8", "::/0", "1.2.3.4/33", "300.1.1.1", "fe80::1%eth0"]),
        ANY_TEXT,
    ),
    max_size=3,
)


PLAIN_TEXT = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=100)
FUTURE = st.datetimes(
    min_value=datetime(2100, 1, 1), max_value=datetime(9999, 12, 29), timezones=st.just(UTC)
).map(lambda d: d.isoformat())

# Per field: values a client would send, and values near or past its rules.
USUAL = {
    "name": PLAIN_TEXT,
    "description": PLAIN_TEXT,
    "permissions": st.lists(st.sampled_from(["read", "write", "manage"]), max_size=3),
    "expires_at": st.one_of(st.none(), FUTURE),
    "allowed_ips": st.one_of(st.none(), st.just(["10.0.0.0/8"]), st.just([])),
    "rate_limit": st.one_of(st.none(), st.integers(1, 1_000_000)),
    "environment": st.sampled_from(["development", "production"]),
}
UNUSUAL = {
    "name": ANY_TEXT,
    "description": ANY_TEXT,
    "permissions": PERMISSIONS,
    "expires_at": DATETIMES,
    "allowed_ips": NETWORKS,
    "rate_limit": st.integers(-5, 2**64),
    "environment": st.sampled_from(["nope", "a b", "", "Development", "x" * 51]),
    "grace_seconds": st.integers(-10, 10**7),
    "reason": ANY_TEXT,
}


def bodies(required, optional):
    """A usual body, or one whose fields (one or several) get unusual values or any JSON."""
    usual = st.fixed_dictionaries(
        {name: USUAL.get(name, UNUSUAL[name]) for name in required},
        optional={name: USUAL.get(name, UNUSUAL[name]) for name in optional},
    )
    fields = [*required, *optional]
    changed = st.dictionaries(
        st.sampled_from(fields),
        ANY_JSON,
        max_size=2,
    )
    unusual = st.fixed_dictionaries({}, optional={n: UNUSUAL[n] for n in fields})
    return st.one_of(
        usual,
        st.builds(lambda b, c: {**b, **c}, usual, unusual),
        st.builds(lambda b, c: {**b, **c}, usual, changed),
    )


KEY_FIELDS = ["name", "description", "permissions", "expires_at", "allowed_ips", "rate_limit"]
CREATE_BODY = bodies(["name", "environment"], KEY_FIELDS[1:])
CHANGE_BODY = bodies([], KEY_FIELDS)
ROTATE_BODY = bodies([], ["grace_seconds"])
REVOKE_BODY = bodies([], ["reason"])
BODIES = st.one_of(
    ANY_JSON.map(json.dumps), st.binary(max_size=20).map(lambda b: b.decode("latin-1"))
)
QUERY_VALUES = st.one_of(
    st.text(max_size=40), st.integers(-1000, 10**6).map(str), st.sampled_from(["", "%00", "MA"])
)


@pytest.fixture
def target(development, alice):
    key, _ = issue_api_key(environment=development, name="target", by=alice)
    return key.public_id


def assert_answer(response):
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str)
        assert isinstance(body["error"]["message"], str)
    return response


def send(client, method, path, body, headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return assert_answer(
        client.generic(
            method,
            path,
            data.encode("utf-8", "surrogatepass"),
            content_type="application/json",
            **headers,
        )
    )


def every_key_reads_back(client, headers):
    """The rows the examples left: listed, each fetched, none the application cannot read."""
    cursor, seen = "", 0
    while True:
        page = client.get(f"/v1/api-keys?limit=200&cursor={cursor}", **headers)
        assert page.status_code == 200
        for item in page.json()["items"]:
            assert client.get(f"/v1/api-keys/{item['id']}", **headers).status_code == 200
            seen += 1
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ApiKey.objects.count()
    list(ApiKey.objects.values_list("expires_at", "name", "description", "allowed_ips"))


@SETTINGS
@given(body=CREATE_BODY)
def test_create_with_any_body(client, manager, body):
    response = send(client, "POST", "/v1/api-keys", body, manager)
    event(f"status {response.status_code}")
    if response.status_code == 201:
        assert response.json()["name"] == body["name"].strip()
        every_key_reads_back(client, manager)


@SETTINGS
@given(body=CHANGE_BODY, key_id=st.one_of(st.just(None), st.text(max_size=20)))
def test_change_with_any_body(client, manager, target, body, key_id):
    path = f"/v1/api-keys/{target if key_id is None else key_id}"
    response = send(client, "PATCH", path, body, manager)
    event(f"status {response.status_code}")
    if response.status_code == 200:
        client.get(path, **manager)
        every_key_reads_back(client, manager)


@SETTINGS
@given(body=st.one_of(ROTATE_BODY, BODIES))
def test_rotate_with_any_body(client, manager, development, alice, body):
    key, _ = issue_api_key(environment=development, name="r", by=alice)
    send(client, "POST", f"/v1/api-keys/{key.public_id}/rotate", body, manager)


@SETTINGS
@given(body=st.one_of(REVOKE_BODY, BODIES))
def test_revoke_with_any_body(client, manager, development, alice, body):
    key, _ = issue_api_key(environment=development, name="d", by=alice)
    response = send(client, "DELETE", f"/v1/api-keys/{key.public_id}", body, manager)
    key.refresh_from_db()
    assert (key.revoked_at is not None) == (response.status_code == 200)


@SETTINGS
@given(body=BODIES, method=st.sampled_from(["POST", "PATCH", "PUT", "DELETE"]))
def test_any_body_on_any_method(client, manager, target, body, method):
    for path in ("/v1/api-keys", f"/v1/api-keys/{target}", f"/v1/api-keys/{target}/rotate"):
        send(client, method, path, body, manager)


@SETTINGS
@given(cursor=st.one_of(st.none(), QUERY_VALUES), limit=st.one_of(st.none(), QUERY_VALUES))
def test_list_with_any_query(client, manager, cursor, limit):
    query = {k: v for k, v in {"cursor": cursor, "limit": limit}.items() if v is not None}
    assert_answer(client.get("/v1/api-keys", query, **manager))


@SETTINGS
@given(
    permissions=st.lists(QUERY_VALUES, max_size=3),
    other=st.dictionaries(st.text(min_size=1, max_size=10), QUERY_VALUES, max_size=2),
)
def test_verify_with_any_query(client, manager, permissions, other):
    response = assert_answer(
        client.get("/v1/auth/verify", {"permissions": permissions, **other}, **manager)
    )
    assert response.status_code in (200, 400, 403)
