"""A key in the query string is refused (400 `api_key_in_url`) before anything else.

URLs end up in access logs, proxies and browser history: whatever the parameter's name, a value
shaped like a key is refused, and so are the names clients use for keys, in any case.
"""

import pytest


def code_of(response):
    assert response.status_code == 400, response.content
    return response.json()["error"]["code"]


@pytest.mark.parametrize(
    "name", ["api_key", "key", "token", "access_token", "KEY", "Api_Key", "ACCESS_TOKEN", "Token"]
)
def test_the_names_of_keys_are_refused_in_any_case(client, api_key, name):
    _, plaintext = api_key
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert code_of(client.get(f"/v1/auth/verify?{name}={plaintext}", **auth)) == "api_key_in_url"
    # Even with a value that is no key, and with no key in the header: before the 401.
    assert code_of(client.get(f"/v1/auth/verify?{name}=x")) == "api_key_in_url"


@pytest.mark.parametrize(
    "query",
    [
        "q={key}",
        "permissions=read&X-Api-Key={key}",
        "auth=Bearer%20{key}",
        "cursor={key}",
        "a=1&a={key}",
        "{key}=",
        "secret=kd_test_AAAAAAAA",  # shaped like a key, checksum or not
    ],
)
def test_any_value_shaped_like_a_key_is_refused(client, api_key, query):
    _, plaintext = api_key
    url = "/v1/auth/verify?" + query.format(key=plaintext)
    assert code_of(client.get(url)) == "api_key_in_url"
    assert code_of(client.get(url, HTTP_AUTHORIZATION=f"Bearer {plaintext}")) == "api_key_in_url"


def test_management_calls_refuse_it_before_the_key_is_checked(client, manager):
    key = manager["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    for url in (f"/v1/api-keys?limit=1&ref={key}", "/v1/api-keys/key_0123456789abcdef?Key=1"):
        assert code_of(client.get(url)) == "api_key_in_url"
        assert code_of(client.get(url, HTTP_AUTHORIZATION="Bearer nope")) == "api_key_in_url"


def test_ordinary_parameters_pass(client, api_key):
    _, plaintext = api_key
    response = client.get(
        "/v1/auth/verify?permissions=read&keyword=kd_live&tokens=1",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    assert response.status_code == 200
