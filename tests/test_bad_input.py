"""Bad input anywhere, in the API or the dashboard, gets a clear answer, never a 500."""

import json

from keys.models import issue_api_key

URL = "/v1/api-keys"


def call(client, key, method, path="", body=None):
    return getattr(client, method)(
        URL + path,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_nul_characters_are_refused_not_500(client, development, alice):
    _, manager = issue_api_key(environment=development, name="m", by=alice, manage=True)
    response = call(client, manager, "post", body={"name": "a\x00b", "environment": "development"})
    assert response.status_code == 422
    assert call(client, manager, "get", "/key_%00").status_code == 404
    response = client.post("/accounts/login/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 200
    client.force_login(alice)
    assert client.get("/keys/%00/").status_code == 404
    assert client.get("/keys/revoke/", {"keys": "key_\x00"}).status_code == 200
