"""Long key lists: /keys/ and an environment's keys tab page by keyset (config/pagination.py).

Every key is seen once, in order, however many share a creation time; the filters ride in the
page links; a page costs the same number of queries at any depth and with any number of keys;
a cursor the list did not give shows the first page and says so.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.pagination import NEWER, OLDER, PAGE_SIZE
from environments.models import set_tags
from keys.forms import KeyFilterForm
from keys.models import NEWEST_FIRST, ApiKey, issue_api_key

ADMIN = "/keys/"


def make_keys(environment, count, *, by, at=None, **fields):
    """`count` keys in `environment` (without an audit event each: these are many); all
    created at the one moment `at` when given, so the order rests on the tie-break."""
    made = [
        ApiKey.issue(
            environment=environment, name=f"{environment.slug} {n}", created_by=by, **fields
        )[0]
        for n in range(count)
    ]
    if at is not None:
        ApiKey.objects.filter(pk__in=[k.pk for k in made]).update(created_at=at)
    return made


def tab(environment):
    return reverse("keys:environment", args=[environment.project.slug, environment.slug])


def shown(response):
    return re.findall(r'<tr data-key-id="(\w+)">', response.content.decode())


def link(response, rel):
    found = re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', response.content.decode())
    return found and found.group(1).replace("&amp;", "&")


def newest_first(keys):
    return list(keys.order_by("-created_at", "-id").values_list("public_id", flat=True))


def walk(client, url, rel="next", **headers):
    """Every page from `url` on, following `rel` links: [[key ids of a page], ...]."""
    pages, response = [], client.get(url, **headers)
    while True:
        assert response.status_code == 200
        pages.append(shown(response))
        if not (url := link(response, rel)):
            return pages, response
        response = client.get(url, **headers)


@pytest.fixture
def crowd(alice, acme, development, production):
    """130 keys of Acme, 70 of them created at the same instant, across a page boundary."""
    moment = timezone.now() - timedelta(days=1)
    make_keys(development, 40, by=alice)
    make_keys(development, 45, by=alice, at=moment)
    make_keys(production, 25, by=alice, at=moment)
    make_keys(production, 20, by=alice, at=moment - timedelta(microseconds=1))
    return newest_first(ApiKey.objects.for_organization(acme))


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["page", "htmx"])
def test_all_keys_pages_through_every_key_once_under_ties(client, alice, crowd, headers):
    client.force_login(alice)
    pages, last = walk(client, ADMIN, **headers)
    assert [len(p) for p in pages] == [50, 50, 30]
    seen = [key for page in pages for key in page]
    assert seen == crowd
    # And back, page by page, to the first.
    back, first = walk(client, link(last, "prev"), rel="prev", **headers)
    assert back == pages[-2::-1]
    assert link(first, "next") and not link(first, "prev")


def test_the_keys_tab_pages_through_its_environments_keys_once(client, bob, development, crowd):
    client.force_login(bob)
    pages, last = walk(client, tab(development))
    assert [len(p) for p in pages] == [50, 35]
    assert [key for page in pages for key in page] == newest_first(development.api_keys.all())
    assert "Older keys" not in last.content.decode()
    assert f'<a href="{tab(development)}" hx-get="{tab(development)}"' in last.content.decode()


@pytest.fixture
def varied(alice, bob, acme, development, production):
    """240 keys in every state the filters ask about, spread so that most filters span pages."""
    now = timezone.now()
    set_tags(environment=production, tags={"team": "payments"}, by=alice)
    keys = make_keys(development, 140, by=alice) + make_keys(production, 100, by=bob)
    uses = [now - timedelta(days=40), now, None]
    expiries = [now + timedelta(days=3), now + timedelta(days=300), None, None]
    for n, key in enumerate(keys):
        ApiKey.objects.filter(pk=key.pk).update(
            last_used_at=uses[n % 3],
            expires_at=expiries[n % 4],
            revoked_at=now - timedelta(hours=1) if n % 4 == 2 else None,
        )
    return keys


@pytest.mark.parametrize(
    "query",
    [
        "status=active",
        "status=revoked",
        "use=never",
        "use=unused30&status=active",
        "expiry=none",
        "expiry=soon",
        "tag=team%3Dpayments",
        "q=development",
        "kind=personal&use=never&expiry=none",
        "environment={development}",
        "creator={bob}",
    ],
)
def test_filters_ride_in_every_page_link(client, alice, acme, development, bob, varied, query):
    query = query.format(development=development.pk, bob=bob.pk)
    client.force_login(alice)
    form = KeyFilterForm(QueryDict(query), organization=acme)
    expected = newest_first(ApiKey.objects.for_organization(acme).filtered(**form.filters()))
    assert expected
    pages, _ = walk(client, f"{ADMIN}?{query}")
    assert [key for page in pages for key in page] == expected
    if len(expected) > PAGE_SIZE:
        carried = parse_qs(urlsplit(link(client.get(f"{ADMIN}?{query}"), "next")).query)
        assert {k: v for k, v in carried.items() if k != "cursor"} == parse_qs(query)


def test_the_hygiene_links_open_lists_that_page(client, alice, varied):
    """The counts on the page link to filtered lists; each pages through what it counted."""
    client.force_login(alice)
    html = client.get(ADMIN).content.decode()
    counted = re.findall(r'<a href="(/keys/\?[^"]+)"><strong>(\d+)</strong>', html)
    assert len(counted) == 4
    assert max(int(count) for _, count in counted) > PAGE_SIZE
    for url, count in counted:
        pages, _ = walk(client, url.replace("&amp;", "&"))
        seen = [key for page in pages for key in page]
        assert len(seen) == len(set(seen)) == int(count)


def test_a_refreshed_table_stays_on_its_page(client, alice, crowd, htmx):
    """After a revocation (`keysChanged`) the table asks for the page it shows, not the first."""
    client.force_login(alice)
    second_url = link(client.get(f"{ADMIN}?status=active"), "next")
    second = client.get(second_url, **htmx)
    html = second.content.decode()
    assert f'hx-get="{second_url.replace("&", "&amp;")}" hx-trigger="keysChanged from:body"' in html
    assert shown(client.get(second_url, **htmx)) == crowd[50:100]


def test_bulk_selection_is_of_the_page_and_says_so(client, alice, crowd):
    client.force_login(alice)
    html = client.get(ADMIN).content.decode()
    assert html.count('type="checkbox" name="keys"') == PAGE_SIZE
    assert 'aria-label="Select all keys on this page"' in html
    assert 'aria-describedby="selection-scope"' in html
    assert (
        '<small class="help" id="selection-scope">Acts on the keys checked on this page.</small>'
        in html
    )
    assert "130 keys, newest first." in html


def test_past_the_last_key_the_page_is_empty_and_leads_back(client, alice, acme, crowd):
    """Keys revoked while someone read the last page of active keys: no rows, a way back."""
    client.force_login(alice)
    _, last = walk(client, f"{ADMIN}?status=active")
    last_url = link(client.get(link(client.get(f"{ADMIN}?status=active"), "next")), "next")
    ApiKey.objects.filter(public_id__in=shown(last)).update(revoked_at=timezone.now())
    response = client.get(last_url)
    assert shown(response) == []
    assert "No keys match." in response.content.decode()
    assert shown(client.get(link(response, "prev"))) == crowd[50:100]


BAD = ["nonsense", "a" * 500, "WyJvIiwxXQ:nosignature", ""]


@pytest.mark.parametrize("bad", BAD[:3])
def test_a_cursor_it_did_not_give_shows_the_first_page_and_says_so(client, alice, crowd, bad):
    client.force_login(alice)
    response = client.get(ADMIN, {"cursor": bad, "status": "active"})
    assert response.status_code == 200
    assert shown(response) == crowd[:50]
    html = response.content.decode()
    assert "That page link is not one this list gave" in html
    assert "Newer keys" not in html
    assert "?status=active&amp;cursor=" in html  # the links still carry the filters


def test_a_cursor_is_good_for_its_own_list_only(client, alice, acme, development, crowd):
    client.force_login(alice)
    tab_cursor = parse_qs(urlsplit(link(client.get(tab(development)), "next")).query)["cursor"][0]
    admin_cursor = parse_qs(urlsplit(link(client.get(ADMIN), "next")).query)["cursor"][0]
    assert tab_cursor != admin_cursor
    refused = client.get(ADMIN, {"cursor": tab_cursor})
    assert "data-cursor-refused" in refused.content.decode()
    assert shown(refused) == crowd[:50]
    accepted = client.get(ADMIN, {"cursor": admin_cursor})
    assert "data-cursor-refused" not in accepted.content.decode()
    assert shown(accepted) == crowd[50:100]


def test_an_edited_cursor_is_refused(client, alice, acme, crowd):
    client.force_login(alice)
    cursor = parse_qs(urlsplit(link(client.get(ADMIN), "next")).query)["cursor"][0]
    key = ApiKey.objects.get(public_id=crowd[120])
    forged = NEWEST_FIRST.cursor(OLDER, key, "organization-0").rsplit(":", 1)[0]
    response = client.get(ADMIN, {"cursor": f"{forged}:{cursor.rsplit(':', 1)[1]}"})
    assert "data-cursor-refused" in response.content.decode()
    assert shown(response) == crowd[:50]


def test_another_organizations_cursor_shows_nothing_of_theirs(
    client, alice, acme, charlie, globex_environment, crowd
):
    theirs = make_keys(globex_environment, 60, by=charlie)
    client.force_login(alice)
    acme_cursor = parse_qs(urlsplit(link(client.get(ADMIN), "next")).query)["cursor"][0]
    client.force_login(charlie)
    response = client.get(ADMIN, {"cursor": acme_cursor})
    assert "data-cursor-refused" in response.content.decode()
    mine = set(shown(response))
    assert mine <= {k.public_id for k in theirs}
    assert not mine & set(crowd)
    # A good cursor of Globex's own, made at one of Acme's keys, still lists only Globex's.
    at_acme = NEWEST_FIRST.cursor(
        OLDER,
        ApiKey.objects.get(public_id=crowd[0]),
        f"organization-{globex_environment.project.organization_id}",
    )
    response = client.get(ADMIN, {"cursor": at_acme})
    assert "data-cursor-refused" not in response.content.decode()
    assert not set(shown(response)) & set(crowd)
    # And Acme's keys tab is not Globex's to page.
    assert client.get(tab(ApiKey.objects.get(public_id=crowd[0]).environment)).status_code == 404


def count_queries(client, url, params, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params, **headers)
    assert response.status_code == 200
    assert "data-cursor-refused" not in response.content.decode()
    return len(queries)


def measure(client, acme, development, htmx):
    everyone = ApiKey.objects.for_organization(acme).order_by("-created_at", "-id")
    deep = NEWEST_FIRST.cursor(
        OLDER, everyone[everyone.count() * 3 // 4], f"organization-{acme.pk}"
    )
    # Back up to near the top: the first page again (one query more, the same with 300).
    back = NEWEST_FIRST.cursor(NEWER, everyone[5], f"organization-{acme.pk}")
    mine = development.api_keys.order_by("-created_at", "-id")
    deep_tab = NEWEST_FIRST.cursor(
        OLDER, mine[mine.count() * 3 // 4], f"environment-{development.pk}"
    )
    filters = {"status": "active", "use": "never", "expiry": "none", "kind": "personal"}
    return {
        "all keys, first page": count_queries(client, ADMIN, {}),
        "all keys, deep": count_queries(client, ADMIN, {"cursor": deep}),
        "all keys, deep, htmx": count_queries(client, ADMIN, {"cursor": deep}, **htmx),
        "all keys, filtered, deep": count_queries(client, ADMIN, {**filters, "cursor": deep}),
        "all keys, newer, near the top": count_queries(client, ADMIN, {"cursor": back}),
        "keys tab, first page": count_queries(client, tab(development), {}),
        "keys tab, deep": count_queries(client, tab(development), {"cursor": deep_tab}),
        "keys tab, deep, htmx": count_queries(
            client, tab(development), {"cursor": deep_tab}, **htmx
        ),
    }


def test_a_page_costs_as_many_queries_with_300_keys_as_with_10(
    client, alice, acme, development, production, htmx
):
    client.force_login(alice)
    moment = timezone.now() - timedelta(hours=1)
    make_keys(development, 5, by=alice)
    make_keys(production, 5, by=alice, at=moment)
    client.get(ADMIN)  # the session settles on its organization once
    small = measure(client, acme, development, htmx)
    make_keys(development, 150, by=alice, at=moment)
    make_keys(production, 140, by=alice)
    assert ApiKey.objects.for_organization(acme).count() == 300
    assert measure(client, acme, development, htmx) == small
    everyone = ApiKey.objects.for_organization(acme).order_by("-created_at", "-id")
    newer = NEWEST_FIRST.cursor(NEWER, everyone[200], f"organization-{acme.pk}")
    assert count_queries(client, ADMIN, {"cursor": newer}) == small["all keys, deep"]


def test_the_api_lists_the_same_order_under_ties_and_refuses_other_cursors(
    client, alice, acme, development, crowd
):
    _, plaintext = issue_api_key(environment=development, name="manager", by=alice, manage=True)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    seen, cursor = [], ""
    while True:
        page = client.get("/v1/api-keys", {"limit": 40, "cursor": cursor}, **headers).json()
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == newest_first(ApiKey.objects.filter(environment__project=development.project))
    client.force_login(alice)
    dashboard_cursor = parse_qs(urlsplit(link(client.get(ADMIN), "next")).query)["cursor"][0]
    response = client.get("/v1/api-keys", {"cursor": dashboard_cursor}, **headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"
