"""Keys limited to origins (`allowed_origins`, DESIGN.md section 13): the rule, verification
(403 `origin_not_allowed`), the API and the dashboard's edit form."""

import json

import pytest

from audit.models import AuditEvent
from keys import origins
from keys.models import issue_api_key, rotate_api_key
from tests.conftest import bearer


@pytest.mark.parametrize(
    ("origin", "referer", "expected"),
    [
        ("https://app.example.com", None, True),
        ("https://app.example.com:443", None, True),
        ("http://app.example.com", None, False),  # the entry names https
        ("https://app.example.com:8443", None, False),
        ("https://evil.com", "https://app.example.com/page", False),  # Origin wins over Referer
        (None, "https://app.example.com/settings?x=1", True),
        ("null", "https://app.example.com/", True),
        (None, None, False),
        ("https://a.shop.example.org", None, True),  # *.example.org
        ("http://b.example.org", None, True),  # a host pattern takes either scheme
        ("https://example.org", None, False),  # the bare domain is not a subdomain
        ("https://notexample.org", None, False),
        ("https://example.org.evil.com", None, False),
        ("http://localhost:3000", None, True),
        ("http://localhost:3001", None, False),
        ("javascript:alert(1)", None, False),
        ("https://[::1", None, False),
    ],
)
def test_it_matches_origin_else_referer(origin, referer, expected):
    entries = origins.clean(["https://app.example.com", "*.example.org", "http://localhost:3000"])
    assert origins.allowed(origins.request_origin(origin, referer), entries) is expected


def test_entries_are_cleaned_or_refused():
    assert origins.clean([" HTTPS://App.Example.com/ ", "", "*.Example.com", "*.example.com"]) == [
        "https://app.example.com",
        "*.example.com",
    ]
    for bad in ("ftp://x.com", "https://x.com/path", "*", "*.*.x.com", "x.com:99999", "a b"):
        with pytest.raises(ValueError, match="not an origin"):
            origins.clean([bad])
    with pytest.raises(ValueError, match="at most 100"):
        origins.clean([f"h{n}.example.com" for n in range(101)])


def test_verification_refuses_other_origins_with_403(client, development, alice):
    _, plaintext = issue_api_key(
        environment=development, name="browser", by=alice, allowed_origins=["*.example.com"]
    )
    ok = client.get("/v1/auth/verify", **bearer(plaintext, HTTP_ORIGIN="https://app.example.com"))
    assert ok.status_code == 200

    for headers in ({"HTTP_ORIGIN": "https://evil.test"}, {}, {"HTTP_REFERER": "https://x.io/"}):
        refused = client.get("/v1/auth/verify", **bearer(plaintext, **headers))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "origin_not_allowed"
        assert "RateLimit-Limit" in refused

    via_referer = client.get(
        "/v1/auth/verify", **bearer(plaintext, HTTP_REFERER="https://docs.example.com/a?b=c")
    )
    assert via_referer.status_code == 200


def test_an_unrestricted_key_works_from_anywhere(client, api_key):
    _, plaintext = api_key
    response = client.get("/v1/auth/verify", **bearer(plaintext, HTTP_ORIGIN="https://evil.test"))
    assert response.status_code == 200


def test_the_api_sets_and_changes_origins(client, development, alice):
    _, manager = issue_api_key(
        environment=development, name="ops", by=alice, manage=True, write=True
    )
    created = client.post(
        "/v1/api-keys",
        json.dumps(
            {"name": "web", "environment": "development", "allowed_origins": ["*.Example.com"]}
        ),
        content_type="application/json",
        **bearer(manager),
    )
    assert created.status_code == 201
    assert created.json()["allowed_origins"] == ["*.example.com"]
    key_id = created.json()["id"]

    changed = client.patch(
        f"/v1/api-keys/{key_id}",
        json.dumps({"allowed_origins": ["https://app.example.com"]}),
        content_type="application/json",
        **bearer(manager),
    )
    assert changed.json()["allowed_origins"] == ["https://app.example.com"]

    bad = client.patch(
        f"/v1/api-keys/{key_id}",
        json.dumps({"allowed_origins": ["https://app.example.com/path"]}),
        content_type="application/json",
        **bearer(manager),
    )
    assert bad.status_code == 422
    assert "allowed_origins" in bad.json()["error"]["message"]
    assert client.get(f"/v1/api-keys/{key_id}", **bearer(manager)).json()["allowed_origins"] == [
        "https://app.example.com"
    ]


def edit_form(**changes):
    return {
        "name": "CI deploys",
        "description": "",
        "expires_at": "",
        "allowed_ips": "",
        "allowed_origins": "",
        "rate_limit": "",
        **changes,
    }


def test_the_edit_form_sets_origins_and_records_them(client, alice, api_key):
    key, _ = api_key
    client.force_login(alice)
    assert "Allowed origins" in client.get(f"/keys/{key.public_id}/edit/").content.decode()

    response = client.post(
        f"/keys/{key.public_id}/edit/",
        edit_form(allowed_origins="https://app.example.com\n *.example.org \n"),
    )

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.allowed_origins == ["https://app.example.com", "*.example.org"]
    event = AuditEvent.objects.get(action="key_updated")
    assert event.metadata["after"]["allowed_origins"] == key.allowed_origins
    assert "*.example.org" in client.get(f"/keys/{key.public_id}/").content.decode()


def test_the_edit_form_names_a_bad_origin(client, alice, api_key):
    key, _ = api_key
    client.force_login(alice)
    response = client.post(
        f"/keys/{key.public_id}/edit/", edit_form(allowed_origins="https://ok.example.com\nftp://x")
    )
    assert response.status_code == 422
    assert "&#x27;ftp://x&#x27; is not an origin" in response.content.decode()
    key.refresh_from_db()
    assert key.allowed_origins == []


def test_a_viewer_cannot_edit_origins(client, victor, api_key):
    key, _ = api_key
    client.force_login(victor)
    response = client.post(f"/keys/{key.public_id}/edit/", edit_form(allowed_origins="a.com"))
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.allowed_origins == []


def test_rotation_keeps_the_origins(client, development, alice):
    key, _ = issue_api_key(
        environment=development, name="web", by=alice, allowed_origins=["*.example.com"]
    )
    new, _ = rotate_api_key(key=key, by=alice)
    assert new.allowed_origins == ["*.example.com"]


def post_key(client, caller, origin, **fields):
    body = {"name": "made", "environment": "development", **fields}
    return client.post(
        "/v1/api-keys",
        json.dumps(body),
        content_type="application/json",
        **bearer(caller, HTTP_ORIGIN=origin),
    )


def test_a_key_limited_to_origins_gives_no_key_more_of_them(client, development, alice):
    _, caller = issue_api_key(
        environment=development,
        name="web ops",
        by=alice,
        manage=True,
        allowed_origins=["https://app.example.com", "*.example.org"],
    )
    origin = "https://app.example.com"

    inherited = post_key(client, caller, origin)
    assert inherited.status_code == 201
    assert inherited.json()["allowed_origins"] == ["https://app.example.com", "*.example.org"]
    narrower = post_key(client, caller, origin, allowed_origins=["https://shop.example.org"])
    assert narrower.status_code == 201
    assert narrower.json()["allowed_origins"] == ["https://shop.example.org"]

    for wider in (["https://evil.example"], ["*.example.com"], ["example.org"]):
        refused = post_key(client, caller, origin, allowed_origins=wider)
        assert refused.status_code == 403, wider
        assert refused.json()["error"]["code"] == "insufficient_permissions"
        assert "only from some origins" in refused.json()["error"]["message"]

    # Nor by widening a key it made afterwards.
    widened = client.patch(
        f"/v1/api-keys/{narrower.json()['id']}",
        json.dumps({"allowed_origins": []}),
        content_type="application/json",
        **bearer(caller, HTTP_ORIGIN=origin),
    )
    assert widened.status_code == 403
    assert client.get(
        f"/v1/api-keys/{narrower.json()['id']}", **bearer(caller, HTTP_ORIGIN=origin)
    ).json()["allowed_origins"] == ["https://shop.example.org"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["https://app.example.com"], True),
        (["https://a.b.example.org:443"], True),
        (["http://a.example.org"], True),
        (["*.example.org"], True),
        (["https://app.example.com:8443"], False),
        (["app.example.com"], False),  # http too, which the issuer's entry does not admit
        (["*.a.example.org"], False),  # a pattern counts only as itself
        (["https://example.org"], False),  # a wildcard admits subdomains, not the bare domain
    ],
)
def test_origins_within_are_those_the_issuers_admit(given, expected):
    own = ["https://app.example.com", "*.example.org"]
    assert origins.within(given, own) is expected
