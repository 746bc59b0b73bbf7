"""gunicorn believes X-Forwarded-Proto only behind a TLS proxy (BEHIND_TLS_PROXY=true)."""

import pytest

from tests.server import get, gunicorn

pytestmark = [pytest.mark.process, pytest.mark.django_db(transaction=True)]

CLAIMS_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"}


def redirected_to_https(base):
    """With SECURE_SSL_REDIRECT on, a request counted as secure is served, others redirected."""
    status, headers, _ = get(base + "/livez", CLAIMS_HTTPS)
    return status == 301 and headers["Location"].startswith("https://")


def test_a_client_cannot_claim_https_without_a_proxy(db):
    env = {"SECURE_SSL_REDIRECT": "true", "BEHIND_TLS_PROXY": "false"}
    with gunicorn(workers=1, env=env) as (base, _):
        assert redirected_to_https(base)


def test_behind_a_tls_proxy_the_proxys_header_is_believed(db):
    env = {"SECURE_SSL_REDIRECT": "true", "BEHIND_TLS_PROXY": "true"}
    with gunicorn(workers=1, env=env) as (base, _):
        assert not redirected_to_https(base)
        status, _, body = get(base + "/livez", CLAIMS_HTTPS)
        assert status == 200
        assert "ok" in body
