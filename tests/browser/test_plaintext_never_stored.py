"""A key's plaintext lives in the one response that creates it, and nowhere else.

Keys are created the two ways a person can (the dashboard, in a real browser, and the
`create_api_key` command) and tried in the API playground; two are reported leaked (`POST
/v1/credentials/revoke` and `find_keys --revoke`); then the database (every table, and on
SQLite the files on disk), the sessions, the cache, the captured logs and every dashboard page
are searched for them.
"""

import io
import json
import logging
import pickle
import subprocess
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from playwright.sync_api import expect

from keys.models import ApiKey
from keys.tokens import KEY_RE
from tests.browser.conftest import submit_sign_in

pytestmark = pytest.mark.browser


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get"):
            if tag in ("a", "div", "ol", "button") and attrs.get(name):
                self.found.append(attrs[name])


def crawl(client, start="/", limit=200):
    """Every same-site page reachable from `start` by links and htmx GETs: {url: html}."""
    pages, queue = {}, [start]
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in pages:
            continue
        plain = client.get(url, follow=True)
        fragment = client.get(url, HTTP_HX_REQUEST="true")
        pages[url] = plain.getvalue().decode() + fragment.getvalue().decode()
        parser = Links()
        parser.feed(plain.getvalue().decode())
        for link in parser.found:
            absolute = urljoin(url, link)
            parts = urlsplit(absolute)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def database_text():
    """Every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    for session in Session.objects.all():
        chunks.append(repr(session.get_decoded()))
    return "\n".join(chunks)


def database_files():
    """The SQLite test database's files (with its WAL), or nothing on another database."""
    if connection.vendor != "sqlite":
        return b""
    name = Path(connection.settings_dict["NAME"])
    files = sorted(name.parent.glob(name.name + "*"))
    # Read by another process: closing any descriptor of the file in this one would drop the
    # POSIX locks SQLite holds on it here, and a later process would then reset the WAL under
    # this one's feet ("disk I/O error" tests later).
    return subprocess.run(["/bin/cat", *files], capture_output=True, check=True).stdout


def cache_text():
    cache = caches["default"]
    store = getattr(cache, "_cache", {})  # local memory: the only cache the suite runs with
    return "\n".join(f"{k}={pickle.loads(v)!r}" for k, v in store.items())  # noqa: S301


def test_no_plaintext_key_outlives_its_creating_response(
    live_server, page, alice, development, production, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    secrets = []

    # 1. Through the dashboard, in the browser.
    submit_sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/projects/billing-api/environments/development/keys/")
    for name in ("browser one", "browser two"):
        page.get_by_role("button", name="New API Key").click()
        page.get_by_label("API Key Name").fill(name)
        page.get_by_role("button", name="Create").click()
        field = page.locator("input[data-secret]")
        expect(field).to_have_value(KEY_RE)
        secrets.append(field.input_value())
        page.get_by_role("button", name="Copy").click()
        page.get_by_role("button", name="Close").click()
        expect(page.locator("dialog")).to_have_count(0)

    # Tried in the API playground: POSTed, verified, and (like every key) never kept.
    page.goto(f"{live_server.url}/playground/")
    for secret in secrets:
        page.get_by_label("API key").fill(secret)
        page.get_by_role("button", name="Send request").click()
        expect(page.locator("[data-status]")).to_have_text("200 OK")
        page.get_by_label("API key").fill(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
        page.get_by_role("button", name="Send request").click()
        expect(page.locator("[data-status]")).to_have_text("401 Unauthorized")
    assert all(secret not in page.url for secret in secrets)

    # 2. Through the command.
    for environment in ("development", "production"):
        out = io.StringIO()
        call_command(
            "create_api_key",
            project="billing-api",
            environment=environment,
            name=f"command {environment}",
            write=True,
            stdout=out,
        )
        assert KEY_RE.fullmatch(out.getvalue().strip())
        secrets.append(out.getvalue().strip())

    assert ApiKey.objects.count() == len(secrets) == len(set(secrets)) == 4

    # 3. Reported leaked: by anyone, through the API, and by find_keys in a checkout.
    request = urllib.request.Request(
        live_server.url + "/v1/credentials/revoke",
        data=json.dumps({"credentials": [secrets[0]]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
    (tmp_path / "leaked.env").write_text(f"KEY={secrets[2]}\n")
    with pytest.raises(SystemExit):
        call_command("find_keys", str(tmp_path), revoke=True, reason="in a checkout", stdout=out)
    assert (
        ApiKey.objects.filter(revoked_reason__in=["reported leaked", "in a checkout"]).count() == 2
    )

    # 4. Search everywhere the plaintext could have been left.
    client = Client()
    alice.refresh_from_db()  # signing in upgraded her password hash, and so her session hash
    client.force_login(alice)
    pages = crawl(client)
    assert any("/keys/" in url for url in pages), "the crawl never reached a keys tab"
    for key in ApiKey.objects.all():
        assert key.hint in "".join(pages.values()), f"{key.hint} is not listed anywhere"

    haystacks = {
        "database rows": database_text(),
        "database files": database_files().decode("latin-1"),
        "cache": cache_text(),
        "logs": caplog.text,
        **{f"page {url}": html for url, html in pages.items()},
    }
    for secret in secrets:
        body = secret[len("kd_test_") : -6]  # the random part alone, in case of reformatting
        for where, text in haystacks.items():
            assert secret not in text, f"a plaintext key was found in {where}"
            assert body not in text, f"a key's random part was found in {where}"
