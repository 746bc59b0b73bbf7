"""With the database unreachable: 503s a client can retry on, never a 500 or a traceback."""

import pytest

from tests.conftest import bearer
from tests.faults.conftest import database_unreachable

pytestmark = pytest.mark.django_db(transaction=True)

VERIFY = "/v1/auth/verify"


def assert_api_503(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response["Retry-After"].isdigit()


def test_verify_answers_503_in_the_error_shape_then_recovers(client, api_key):
    _, plaintext = api_key
    with database_unreachable():
        assert_api_503(client.get(VERIFY, **bearer(plaintext)))
    response = client.get(VERIFY, **bearer(plaintext))
    assert response.status_code == 200
    assert response.json()["valid"] is True


def test_every_v1_call_answers_503(client, development, alice):
    from keys.models import issue_api_key

    _, plaintext = issue_api_key(
        environment=development, name="admin", by=alice, write=True, manage=True
    )
    with database_unreachable():
        assert_api_503(client.get("/v1/api-keys", **bearer(plaintext)))
        assert_api_503(
            client.post(
                "/v1/api-keys",
                {"name": "new"},
                content_type="application/json",
                **bearer(plaintext),
            )
        )
    assert client.get("/v1/api-keys", **bearer(plaintext)).status_code == 200


def test_dashboard_pages_answer_a_503_page(client, alice, api_key):
    # The answer a browser gets: an outage met by a middleware (allauth's session tracking
    # reads the user before the view) goes through handler500, as it does in production.
    client.raise_request_exception = False
    client.force_login(alice)
    for url in ("/keys/", f"/keys/{api_key[0].public_id}/", "/accounts/login/"):
        with database_unreachable():
            response = client.get(url)
        assert response.status_code == 503, url
        text = response.content.decode()
        assert "cannot reach its database" in text
        assert "Traceback" not in text
        assert response["Retry-After"].isdigit()
    assert client.get("/keys/").status_code == 200


def test_a_sign_in_answers_a_503_page(client, alice):
    with database_unreachable():
        response = client.post("/accounts/login/", {"login": "alice", "password": "x"})
    assert response.status_code == 503
    assert "cannot reach its database" in response.content.decode()


def test_livez_stays_up_and_readyz_names_the_database(client, db):
    with database_unreachable():
        assert client.get("/livez").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database"]}
    assert client.get("/readyz").json() == {"status": "ok"}
