import csv
import hashlib
import io
import itertools
import json
import re
from urllib.parse import urlencode

import pytest
from django.http import StreamingHttpResponse

from audit.chain import record, verify_chain
from audit.exports import CSV_COLUMNS
from audit.models import Action, AuditEvent, canonical_bytes
from keys.models import issue_api_key
from tests.audit.conftest import sign_ins
from tests.conftest import Client

CSV_URL = "/audit/export.csv"
JSONL_URL = "/audit/export.jsonl"


@pytest.fixture
def history(acme, alice, api_key, production, globex_environment):
    issue_api_key(environment=production, name='=HYPERLINK("http://evil")', by=alice)
    sign_ins(acme, alice, 3)


def export(client, url, params=None, **headers):
    """What the review page's export buttons do: a POST, the filters in the query string."""
    return client.post(url + (f"?{urlencode(params)}" if params else ""), **headers)


def body(response):
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body(response))))


def jsonl_rows(response):
    return [json.loads(line) for line in body(response).splitlines()]


def page_ids(client, params):
    html = client.get("/audit/", params).content.decode()
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', html)]


@pytest.mark.parametrize(
    "params", [{}, {"action": "key_created"}, {"q": "ci", "since": "2020-01-01"}]
)
def test_exports_match_the_filtered_page(login, alice, history, params):
    client = login(alice)
    shown = page_ids(client, params)
    assert shown
    assert [int(r["id"]) for r in csv_rows(export(client, CSV_URL, params))] == shown
    # (Unfiltered, the page now starts with that export's own event.)
    shown = page_ids(client, params)
    assert [r["id"] for r in jsonl_rows(export(client, JSONL_URL, params))] == shown


def test_the_csv_file(login, alice, acme, history):
    response = export(login(alice), CSV_URL, {"action": "key_created"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="keydesk-audit-acme-\d{8}T\d{6}Z\.csv"',
        response["Content-Disposition"],
    )
    assert "no-store" in response["Cache-Control"]
    rows = csv_rows(response)
    assert list(rows[0]) == list(CSV_COLUMNS)
    newest = AuditEvent.objects.filter(action="key_created").latest("id")
    assert rows[0]["hash"] == newest.hash
    assert json.loads(rows[0]["metadata"]) == newest.metadata
    # A name that a spreadsheet would run as a formula is written as text.
    assert rows[0]["target_name"] == '\'=HYPERLINK("http://evil")'


def test_the_json_lines_file_can_be_rechecked_line_by_line(login, alice, history):
    response = export(login(alice), JSONL_URL)
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    rows = jsonl_rows(response)
    for row in rows:
        content = {k: v for k, v in row.items() if k not in ("id", "prev_hash", "hash")}
        recomputed = hashlib.sha256(row["prev_hash"].encode() + canonical_bytes(content))
        assert recomputed.hexdigest() == row["hash"]
    # Newest first, each line following the next one down.
    for newer, older in itertools.pairwise(rows):
        assert newer["prev_hash"] == older["hash"]


def test_each_export_is_audited(login, alice, acme, history):
    client = login(alice)
    rows = jsonl_rows(export(client, JSONL_URL, {"action": "key_created", "before": 5}))
    exported = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert exported.actor_name == "alice"
    assert exported.organization == acme
    assert exported.metadata == {"format": "jsonl", "filters": {"action": "key_created"}}
    assert exported.ip == "127.0.0.1"
    assert all(r["id"] < exported.pk for r in rows)
    # The next export includes the first one's record, not its own.
    rows = csv_rows(export(client, CSV_URL))
    assert int(rows[0]["id"]) == exported.pk
    assert AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).count() == 2
    assert verify_chain(acme.pk) is None


def test_no_secret_reaches_an_export(login, alice, history, api_key):
    text = body(export(login(alice), JSONL_URL)) + body(export(login(alice), CSV_URL))
    assert api_key[1] not in text
    assert api_key[0].digest not in text


def test_an_htmx_request_gets_the_file_too(login, alice, history, htmx):
    response = export(login(alice), CSV_URL, **htmx)
    assert response.status_code == 200
    assert (
        len(csv_rows(response)) == AuditEvent.objects.filter(organization__slug="acme").count() - 1
    )


def test_unreadable_filters_are_refused_before_anything_is_recorded(login, alice, history):
    response = export(login(alice), CSV_URL, {"since": "yesterday"})
    assert response.status_code == 400
    assert response.content.decode() == "Invalid filters: From: Enter a valid date.\n"
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_it_streams_in_chunks(login, alice, acme, monkeypatch):
    monkeypatch.setattr("audit.exports.CHUNK_SIZE", 7)
    sign_ins(acme, alice, 30)
    response = export(login(alice), JSONL_URL)
    assert response.streaming
    assert len(jsonl_rows(response)) == 31  # and the sign-up


def test_members_and_viewers_get_403(login, bob, victor, history):
    for user in (bob, victor):
        for url in (CSV_URL, JSONL_URL):
            assert login(user).get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_anonymous_is_sent_to_sign_in(client, history):
    response = export(client, JSONL_URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_another_organization_exports_only_its_own(login, charlie, globex, acme, history):
    rows = jsonl_rows(export(login(charlie), JSONL_URL))
    assert rows
    assert {r["organization"] for r in rows} == {globex.pk}
    exported = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert exported.organization == globex
    record(action=Action.SIGN_IN, organization=acme)  # Acme's chain is untouched
    assert verify_chain(acme.pk) is None


def test_a_link_from_another_site_writes_no_export_event(login, alice, history):
    """A cross-site GET (a link, an <img>) is refused and records nothing."""
    client = login(alice)
    for url in (CSV_URL, JSONL_URL):
        response = client.get(url, {"action": "key_created"}, HTTP_SEC_FETCH_SITE="cross-site")
        assert response.status_code == 405
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_a_form_on_another_site_is_stopped_by_csrf(alice, history):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(JSONL_URL, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_the_review_page_exports_in_one_click_with_its_token(alice, history):
    """The page's own button: a POST carrying the page's CSRF token and filters."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    html = client.get("/audit/", {"action": "key_created"}).content.decode()
    action, token = re.search(
        r'<form method="post" action="([^"]*export\.csv[^"]*)">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    ).groups()
    response = client.post(action.replace("&amp;", "&"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows
    assert {r["action"] for r in rows} == {"key_created"}
    exported = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert exported.metadata == {"format": "csv", "filters": {"action": "key_created"}}
