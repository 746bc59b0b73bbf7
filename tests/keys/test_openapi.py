def test_the_schema_documents_every_operation(client, db):
    schema = client.get("/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/v1/auth/verify",
        "/v1/api-keys",
        "/v1/api-keys/{key_id}",
        "/v1/api-keys/{key_id}/rotate",
        "/v1/credentials/revoke",
        "/v1/secret-scanning/github",
    }
    assert set(paths["/v1/api-keys/{key_id}"]) == {"get", "patch", "delete"}
    assert "401" in paths["/v1/auth/verify"]["get"]["responses"]
    assert schema["components"]["securitySchemes"]["BearerKey"]["scheme"] == "bearer"


def test_the_docs_are_served_from_our_own_static_files(client, db):
    html = client.get("/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_the_docs_can_require_sign_in(client, alice, settings):
    settings.API_DOCS_REQUIRE_LOGIN = True
    for url in ("/v1/docs", "/v1/openapi.json"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    assert client.get("/v1/openapi.json").status_code == 200
