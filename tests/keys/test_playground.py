"""The API playground (/playground/): a key POSTed, answered exactly as /v1/auth/verify would."""

import json
import logging
from html import unescape

import pytest

from audit.models import AuditEvent
from keys.models import ApiKey, issue_api_key, revoke_api_key

URL = "/playground/"


def shown_body(response):
    """The JSON body the page shows, parsed back."""
    html = response.content.decode()
    start = html.index('<pre class="command" data-body><code>') + len(
        '<pre class="command" data-body><code>'
    )
    return json.loads(unescape(html[start : html.index("</code></pre>", start)]))


@pytest.fixture
def signed_in(client, alice, acme):
    client.force_login(alice)
    return client


def test_it_shows_what_verify_answers_for_a_valid_key(signed_in, api_key):
    _, plaintext = api_key
    response = signed_in.post(URL, {"key": plaintext})
    assert response.status_code == 200
    assert "200 OK" in response.content.decode()
    direct = signed_in.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert shown_body(response) == direct.json()
    html = response.content.decode()
    assert "<dt>RateLimit-Limit</dt><dd><code>600</code></dd>" in html
    assert "<dt>RateLimit-Remaining</dt><dd><code>599</code></dd>" in html
    assert "RateLimit-Reset" in html
    assert "Keydesk sends them only for a key it recognises" not in html
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache


def test_it_counts_as_a_use_of_the_key(signed_in, api_key):
    key, plaintext = api_key
    signed_in.post(URL, {"key": plaintext})
    key.refresh_from_db()
    assert key.last_used_at is not None
    direct = signed_in.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert direct["RateLimit-Remaining"] == "598"  # the playground's request counted


def test_it_asks_the_permissions_checked(signed_in, api_key):
    _, plaintext = api_key
    response = signed_in.post(URL, {"key": plaintext, "permissions": ["read", "write"]})
    assert "403 Forbidden" in response.content.decode()
    assert shown_body(response)["error"]["code"] == "insufficient_permissions"
    assert "?permissions=read,write" in response.content.decode()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda plaintext: "not a key", "malformed_api_key"),
        (
            lambda plaintext: (
                plaintext[:-7] + ("A" if plaintext[-7] != "A" else "B") + plaintext[-6:]
            ),
            "malformed_api_key",
        ),
    ],
)
def test_it_shows_401_for_a_bad_key(signed_in, api_key, make, code):
    _, plaintext = api_key
    response = signed_in.post(URL, {"key": make(plaintext)})
    html = response.content.decode()
    assert "401 Unauthorized" in html
    assert shown_body(response)["error"]["code"] == code
    assert "<dt>WWW-Authenticate</dt><dd><code>Bearer</code></dd>" in html
    assert "RateLimit-Limit" not in html.split("data-headers")[1].split("</dl>")[0]
    assert "Keydesk sends them only for a key it recognises" in html


def test_it_shows_401_for_a_revoked_key(signed_in, api_key, alice):
    key, plaintext = api_key
    revoke_api_key(key=key, by=alice, reason="test")
    response = signed_in.post(URL, {"key": plaintext})
    assert shown_body(response)["error"]["code"] == "revoked_api_key"


def test_it_answers_keys_of_any_organization_as_the_api_does(
    signed_in, globex_environment, charlie
):
    """The verify endpoint is public: holding a key is the authority, whoever holds it."""
    _, plaintext = issue_api_key(environment=globex_environment, name="theirs", by=charlie)
    response = signed_in.post(URL, {"key": plaintext})
    assert shown_body(response)["key"]["project"] == "secret-project"


def test_the_key_is_never_rendered_back_nor_kept(signed_in, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    _, plaintext = api_key
    events = AuditEvent.objects.count()
    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = signed_in.post(URL, {"key": plaintext}, **extra)
        html = response.content.decode()
        assert plaintext not in html
        assert plaintext[8:-6] not in html
    assert AuditEvent.objects.count() == events
    assert plaintext not in caplog.text
    assert plaintext not in repr(dict(signed_in.session))


def test_an_htmx_request_gets_the_result_alone(signed_in, api_key):
    _, plaintext = api_key
    response = signed_in.post(URL, {"key": plaintext}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<h2 id="playground-result-title">Response</h2>')
    assert 'playground-result"' not in html  # the live region stays on the page
    assert "<form" not in html
    assert shown_body(response)["valid"] is True


def test_an_empty_key_is_a_clear_error(signed_in, htmx):
    response = signed_in.post(URL, {"key": "  "}, **htmx)
    assert response.status_code == 422
    assert "API key: This field is required." in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_an_unknown_permission_is_a_form_error(signed_in, api_key):
    _, plaintext = api_key
    response = signed_in.post(URL, {"key": plaintext, "permissions": ["root"]})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_the_form_posts_with_csrf(api_key, alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    page = strict.get(URL)
    assert 'type="password"' in page.content.decode()
    assert 'autocomplete="off"' in page.content.decode()
    assert strict.post(URL, {"key": api_key[1]}).status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.post(URL, {"key": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_without_an_organization_is_refused(client, charlie, globex):
    from tests.conftest import make_user

    loner = make_user("loner")
    client.force_login(loner)
    assert client.get(URL).status_code == 403
