import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.chain import record
from audit.models import NEWEST_FIRST, Action, AuditEvent
from config.pagination import NEWER, OLDER
from keys.models import issue_api_key, revoke_api_key, update_api_key
from tests.audit.conftest import clock, sign_ins

URL = "/audit/"


@pytest.fixture
def history(acme, alice, bob, api_key, development, production, globex_environment):
    """Acme's events by every kind of actor, and Globex's next door."""
    key, _ = api_key
    update_api_key(key=key, by=alice, changes={"name": "CI deploys v2", "rate_limit": 120})
    live, _ = issue_api_key(environment=production, name="Live payments", by=bob)
    revoke_api_key(key=live, by=key, reason="leaked in a log")  # a key acting (the API)
    record(
        action=Action.SIGN_IN_FAILED,
        organization=acme,
        actor=AnonymousUser(),
        actor_name="mallory",
    )
    return {"key": key, "live": live}


def ids(response):
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', response.content.decode())]


def acme_ids(acme, **filters):
    events = AuditEvent.objects.for_organization(acme).matching(**filters)
    return list(events.order_by("-id").values_list("id", flat=True))


def test_it_lists_the_organizations_events_newest_first(login, alice, acme, history):
    response = login(alice).get(URL)
    assert response.status_code == 200
    assert ids(response) == acme_ids(acme)
    html = response.content.decode()
    assert "<h1>Audit log</h1>" in html
    assert "Live payments" in html
    assert "mallory (not signed in)" in html


def test_it_answers_htmx_with_the_table_alone(login, alice, acme, history, htmx):
    response = login(alice).get(URL, {"action": "key_created", "actor": ""}, **htmx)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="audit-table"')
    assert "<html" not in html
    assert "Verify chain" not in html
    assert ids(response) == acme_ids(acme, action="key_created")
    assert "HX-Request" in response["Vary"]
    # The address bar gets the view with only the filters in force: shareable.
    assert response["HX-Push-Url"] == "/audit/?action=key_created"


def test_a_history_restore_gets_the_whole_page(login, alice, history, htmx):
    response = login(alice).get(URL, **htmx, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_it_filters_by_a_user(login, alice, bob, acme, history):
    response = login(alice).get(URL, {"actor": f"user:{bob.pk}"})
    assert ids(response) == acme_ids(acme, actor=f"user:{bob.pk}")
    assert AuditEvent.objects.get(pk=ids(response)[0]).actor_name == "bob"


def test_it_filters_by_a_key_acting(login, alice, acme, history):
    key = history["key"]
    response = login(alice).get(URL, {"actor": f"apikey:{key.public_id}"})
    (event,) = AuditEvent.objects.filter(pk__in=ids(response))
    assert (event.action, event.target_name) == ("key_revoked", "Live payments")


def test_it_filters_by_a_kind_of_actor(login, alice, history):
    response = login(alice).get(URL, {"actor": "anonymous"})
    (event,) = AuditEvent.objects.filter(pk__in=ids(response))
    assert event.actor_name == "mallory"


def test_it_filters_by_action(login, alice, acme, history):
    response = login(alice).get(URL, {"action": "key_created"})
    assert len(ids(response)) == 2
    assert ids(response) == acme_ids(acme, action="key_created")


def test_it_filters_by_project(login, alice, acme, history, project, globex_environment):
    response = login(alice).get(URL, {"project": project.pk})
    assert ids(response) == acme_ids(acme, project=project.pk)
    assert len(ids(response)) == 7  # project, 2 environments, 2 keys, update, revocation


def test_it_filters_by_environment(login, alice, acme, history, production):
    response = login(alice).get(URL, {"environment": production.pk})
    actions = [AuditEvent.objects.get(pk=i).action for i in ids(response)]
    assert actions == ["key_revoked", "key_created", "environment_created"]


def test_it_filters_by_target_key(login, alice, acme, history):
    key = history["key"]
    response = login(alice).get(URL, {"key": key.public_id})
    actions = [AuditEvent.objects.get(pk=i).action for i in ids(response)]
    assert actions == ["key_updated", "key_created"]


def test_it_filters_by_date_range_both_days_included(login, alice, acme):
    days = [datetime(2026, 3, d, 12, tzinfo=UTC) for d in (1, 2, 3, 4)]
    for day in days:
        with clock(day):
            sign_ins(acme, alice, 1)
    dated = {e.created_at.day: e.pk for e in AuditEvent.objects.filter(action="sign_in")}
    response = login(alice).get(URL, {"since": "2026-03-02", "until": "2026-03-03"})
    assert ids(response) == [dated[3], dated[2]]
    since = ids(login(alice).get(URL, {"since": "2026-03-04"}))
    assert dated[4] in since
    assert dated[3] not in since
    assert ids(login(alice).get(URL, {"until": "2026-03-01"})) == [dated[1]]


def test_it_searches_target_names_case_insensitively(login, alice, acme, history):
    response = login(alice).get(URL, {"q": "  ci DEPLOYS "})
    assert ids(response) == acme_ids(acme, q="ci deploys")
    assert {AuditEvent.objects.get(pk=i).target_name for i in ids(response)} == {
        "CI deploys",
        "CI deploys v2",
    }


def test_filters_combine(login, alice, acme, history, production):
    response = login(alice).get(URL, {"environment": production.pk, "action": "key_revoked"})
    assert len(ids(response)) == 1
    assert ids(login(alice).get(URL, {"action": "sign_up", "q": "nothing like it"})) == []


def test_unreadable_filters_say_so(login, alice, history, htmx):
    response = login(alice).get(URL, {"since": "2026-03-05", "until": "2026-03-01"})
    assert response.status_code == 422
    assert "<li>To: The end date comes before the start date.</li>" in response.content.decode()
    response = login(alice).get(URL, {"project": "acme"}, **htmx)
    assert response.status_code == 422  # htmx swaps 422 answers in
    assert "<li>Project: Enter a whole number.</li>" in response.content.decode()
    assert ids(response) == []


def test_a_filter_for_something_gone_stays_visible(login, alice, history):
    html = login(alice).get(URL, {"project": 987654}).content.decode()
    assert '<option value="987654" selected>987654 (not current)</option>' in html


def select(html, name):
    return re.search(rf'<select name="{name}" id="filter-{name}">(.*?)</select>', html, re.S).group(
        1
    )


def test_the_filters_are_selects_of_the_organizations_members_and_places(
    login, alice, bob, history, project, development, production
):
    html = login(alice).get(URL, {"actor": f"user:{bob.pk}"}).content.decode()
    actors = select(html, "actor")
    assert '<option value="">Anyone</option>' in actors
    assert f'<option value="user:{alice.pk}">alice</option>' in actors
    assert f'<option value="user:{bob.pk}" selected>bob</option>' in actors
    assert '<option value="system">System (commands)</option>' in actors
    assert "charlie" not in actors  # Globex's
    assert '<option value="key_revoked">Key revoked</option>' in select(html, "action")
    assert f'<option value="{project.pk}">Billing API</option>' in select(html, "project")
    environments = select(html, "environment")
    assert '<optgroup label="Billing API">' in environments
    assert f'<option value="{production.pk}">production</option>' in environments
    assert "Secret Project" not in html
    assert '<label for="filter-environment">Environment</label>' in html


def test_a_filter_for_an_actor_gone_stays_visible(login, alice, history):
    html = login(alice).get(URL, {"actor": "user:4242"}).content.decode()
    assert '<option value="user:4242" selected>user:4242 (not current)</option>' in html


def test_a_project_filter_is_a_positive_whole_number(login, alice, history):
    response = login(alice).get(URL, {"project": "0"})
    assert response.status_code == 422
    assert "<li>Project: Ensure this value is greater than or equal to 1.</li>" in (
        response.content.decode()
    )


def test_rows_link_to_narrower_views(login, alice, bob, history):
    html = login(alice).get(URL, {"action": "key_created"}).content.decode()
    assert f'href="/audit/?actor=user%3A{bob.pk}&amp;action=key_created"' in html
    assert f'href="/audit/?action=key_created&amp;key={history["key"].public_id}"' in html


def test_each_row_expands_to_its_metadata_and_changes(login, alice, history):
    html = login(alice).get(URL, {"action": "key_updated"}).content.decode()
    assert '<details class="event-details">' in html
    assert "<caption>Changes</caption>" in html
    assert re.search(r'<th scope="row">name</th><td>CI deploys</td><td>CI deploys v2</td>', html)
    assert re.search(r'<th scope="row">rate_limit</th><td>—</td><td>120</td>', html)
    event = AuditEvent.objects.get(action="key_updated")
    assert event.hash in html
    assert event.prev_hash in html


def test_no_secret_reaches_the_page(login, alice, history, api_key):
    html = login(alice).get(URL).content.decode()
    assert api_key[1] not in html
    assert history["key"].digest not in html


@pytest.fixture
def many(acme, alice, project):
    sign_ins(acme, alice, 120)
    return acme_ids(acme)


def test_it_pages_by_cursor_through_every_event_once(login, alice, acme, many):
    client = login(alice)
    response = client.get(URL)
    seen = ids(response)
    assert len(seen) == 50
    while older := re.search(r'href="([^"]+)"[^>]*rel="next"', response.content.decode()):
        response = client.get(older.group(1).replace("&amp;", "&"))
        seen += ids(response)
    assert seen == many


def cursor(organization, event_id, direction=OLDER):
    """The cursor the page gives for paging on from this event."""
    return NEWEST_FIRST.cursor(direction, AuditEvent.objects.get(pk=event_id), organization.pk)


def link(response, rel):
    found = re.search(rf'href="([^"]+)"[^>]*rel="{rel}"', response.content.decode())
    return found and found.group(1).replace("&amp;", "&")


def test_it_pages_back_to_newer_events(login, alice, acme, many, htmx):
    client = login(alice)
    second = client.get(link(client.get(URL), "next"), **htmx)
    assert ids(second) == many[50:100]
    assert second["HX-Push-Url"] == f"/audit/?{urlencode({'cursor': cursor(acme, many[49])})}"
    third = client.get(link(second, "next"))
    assert ids(third) == many[100:]
    assert ids(client.get(link(third, "prev"))) == many[50:100]
    assert ids(client.get(link(second, "prev"))) == many[:50]
    # Near the top a `Newer` page is the first page, full.
    assert ids(client.get(URL, {"cursor": cursor(acme, many[10], NEWER)})) == many[:50]


def test_page_links_keep_the_filters(login, alice, acme, many):
    html = login(alice).get(URL, {"action": "sign_in"}).content.decode()
    query = urlencode({"action": "sign_in", "cursor": cursor(acme, many[49])})
    assert f'href="/audit/?{query.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize("tampered", ["123", "bm9wZQ:x", "a" * 300])
def test_a_cursor_it_did_not_give_shows_the_newest_page_and_says_so(
    login, alice, acme, many, tampered
):
    response = login(alice).get(URL, {"cursor": tampered, "action": "sign_in"})
    assert response.status_code == 200
    assert ids(response) == many[:50]
    assert "That page link is not one this list gave" in response.content.decode()


def test_an_edited_cursor_is_refused(login, alice, acme, many):
    """The cursor's content is readable base64: changing it breaks the signature."""
    good = cursor(acme, many[49])
    signature = good.rpartition(":")[2]
    forged = signing.b64_encode(f'["o",{many[10]}]'.encode()).decode() + ":" + signature
    response = login(alice).get(URL, {"cursor": forged})
    assert ids(response) == many[:50]
    assert "data-cursor-refused" in response.content.decode()
    assert "data-cursor-refused" not in login(alice).get(URL, {"cursor": good}).content.decode()


def test_it_shows_the_chain_state_and_offers_verification(login, alice, history):
    html = login(alice).get(URL).content.decode()
    assert "Not verified yet." in html
    assert "Verify chain" in html
    login(alice).post("/audit/verify/")
    assert "Intact." in login(alice).get(URL).content.decode()


def test_admins_see_the_nav_link(login, alice, bob, history):
    assert '<a href="/audit/">Audit</a>' in login(alice).get("/projects/").content.decode()
    assert '<a href="/audit/">Audit</a>' not in login(bob).get("/projects/").content.decode()


def test_it_only_answers_get(login, alice, history):
    assert login(alice).post(URL).status_code == 405


def test_members_and_viewers_get_403(login, bob, victor, history, htmx):
    assert login(bob).get(URL).status_code == 403
    assert login(victor).get(URL).status_code == 403
    assert login(victor).get(URL, **htmx).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, history):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_another_organization_sees_none_of_acmes_events(
    login, charlie, acme, globex, history, project, htmx
):
    client = login(charlie)
    shown = ids(client.get(URL))
    assert shown
    assert set(shown) == set(
        AuditEvent.objects.filter(organization=globex).values_list("id", flat=True)
    )
    # Acme's ids in the filters only narrow Globex's own events; Acme's cursors are refused.
    assert ids(client.get(URL, {"project": project.pk}, **htmx)) == []
    acmes = cursor(acme, AuditEvent.objects.filter(organization=acme).latest("id").pk)
    response = client.get(URL, {"cursor": acmes})
    assert set(ids(response)) == set(shown)
    assert "data-cursor-refused" in response.content.decode()
    assert ids(client.get(URL, {"key": history["key"].public_id})) == []
    assert "Live payments" not in client.get(URL, {"q": "Live"}).content.decode()


def count_queries(client, params, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params, **headers)
    assert response.status_code == 200
    return len(queries)


def measure(client, acme, htmx):
    newest = acme_ids(acme)
    deep = cursor(acme, newest[len(newest) * 3 // 4])
    return {
        "first": count_queries(client, {}),
        "deep": count_queries(client, {"cursor": deep}),
        "filtered": count_queries(client, {"action": "sign_in", "q": "acme", "cursor": deep}),
        "dated": count_queries(client, {"since": "2000-01-01", "actor": "system"}),
        "htmx deep": count_queries(client, {"cursor": deep}, **htmx),
        # Back up near the top: the first page again (one query more, the same with 300).
        "newer, near the top": count_queries(client, {"cursor": cursor(acme, newest[5], NEWER)}),
    }


def test_it_uses_as_many_queries_for_300_events_as_for_10(login, alice, acme, project, htmx):
    client = login(alice)
    sign_ins(acme, alice, 8, target=acme)
    client.get(URL)  # the session settles on its organization once
    small = measure(client, acme, htmx)
    sign_ins(acme, alice, 290, target=acme)
    assert AuditEvent.objects.for_organization(acme).count() == 300
    assert measure(client, acme, htmx) == small
    deep_newer = cursor(acme, acme_ids(acme)[200], NEWER)
    assert count_queries(client, {"cursor": deep_newer}) == small["deep"]


def test_the_newest_page_says_so(login, alice, acme):
    with clock(datetime.now(UTC) - timedelta(days=1)):
        sign_ins(acme, alice, 1)
    html = login(alice).get(URL).content.decode()
    assert "Newer events" not in html
    assert "Older events" not in html
