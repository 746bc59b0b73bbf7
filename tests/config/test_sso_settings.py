"""Single sign-on providers come from the environment: each one only when its variables are."""

from config.settings import sso_providers

VARIABLES = ("GITHUB", "GOOGLE", "GITLAB", "OIDC")


def clear(monkeypatch):
    for prefix in VARIABLES:
        for suffix in ("CLIENT_ID", "CLIENT_SECRET"):
            monkeypatch.delenv(f"{prefix}_{suffix}", raising=False)
    for name in ("GITLAB_URL", "GITLAB_EMAIL_VERIFIED", "OIDC_SERVER_URL", "OIDC_NAME"):
        monkeypatch.delenv(name, raising=False)


def test_none_without_variables(monkeypatch):
    clear(monkeypatch)
    assert sso_providers() == ({}, [])


def test_each_provider_from_its_variables(monkeypatch):
    clear(monkeypatch)
    for prefix in VARIABLES:
        monkeypatch.setenv(f"{prefix}_CLIENT_ID", f"{prefix.lower()}-id")
        monkeypatch.setenv(f"{prefix}_CLIENT_SECRET", f"{prefix.lower()}-secret")
    monkeypatch.setenv("GITLAB_URL", "https://gitlab.example.com/")
    monkeypatch.setenv("OIDC_SERVER_URL", "https://id.example.com/realms/staff/")
    monkeypatch.setenv("OIDC_NAME", "Staff SSO")

    providers, origins = sso_providers()

    assert providers["github"]["APPS"][0]["client_id"] == "github-id"
    assert providers["google"]["APPS"][0]["secret"] == "google-secret"
    gitlab = providers["gitlab"]
    assert gitlab["APPS"][0]["settings"] == {"gitlab_url": "https://gitlab.example.com"}
    assert gitlab["VERIFIED_EMAIL"] is False  # GitLab does not say; unverified unless vouched
    oidc = providers["openid_connect"]["APPS"][0]
    assert (oidc["provider_id"], oidc["name"]) == ("sso", "Staff SSO")
    assert oidc["settings"] == {"server_url": "https://id.example.com/realms/staff"}
    assert origins == [
        "https://github.com",
        "https://accounts.google.com",
        "https://gitlab.example.com",
        "https://id.example.com",
    ]


def test_a_half_configured_provider_is_not_offered(monkeypatch):
    clear(monkeypatch)
    monkeypatch.setenv("GITHUB_CLIENT_ID", "only-the-id")
    monkeypatch.setenv("OIDC_CLIENT_ID", "id")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "secret")  # but no OIDC_SERVER_URL
    assert sso_providers() == ({}, [])
