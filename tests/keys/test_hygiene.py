"""Key hygiene: counts of keys never used, unused for 30 days, without expiry and expiring
within 7 days, on /keys/ and the quickstart, each linking to the filtered list."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keys.models import ApiKey, issue_api_key

NAMES = ["never_used", "unused", "without_expiry", "expiring"]


@pytest.fixture
def keys(alice, bob, development, production, globex_environment):
    """Acme's keys, one of each kind of neglect, and Globex's, which must never count."""
    now = timezone.now()

    def key(name, *, by=alice, environment=development, used=None, expires=None):
        made, _ = issue_api_key(
            environment=environment,
            name=name,
            by=by,
            expires_at=expires and now + expires,
        )
        if used is not None:
            ApiKey.objects.filter(pk=made.pk).update(last_used_at=now - used)
        return made

    made = {
        "fresh": key("fresh", used=timedelta(hours=1), expires=timedelta(days=90)),
        "never": key("never", expires=timedelta(days=90)),
        "idle": key("idle", used=timedelta(days=45), expires=timedelta(days=3)),
        "forever": key("forever", used=timedelta(days=1), environment=production),
        "bobs": key("bobs", by=bob, expires=timedelta(days=2)),
        "revoked": key("revoked"),
    }
    made["revoked"].revoke(by=alice, reason="old")
    expired = key("expired", expires=timedelta(days=1))
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(days=1))
    key("theirs", by=None, environment=globex_environment)
    return made


def test_it_counts_each_rule_in_one_query(acme, keys, django_assert_num_queries):
    active = ApiKey.objects.for_organization(acme).active()
    with django_assert_num_queries(1):
        counts = active.hygiene()
    # never: never, bobs; unused: those and idle; no expiry: forever; soon: idle, bobs.
    assert counts == {
        "total": 5,
        "never_used": 2,
        "unused": 3,
        "without_expiry": 1,
        "expiring": 2,
    }


def test_each_count_is_what_the_filtered_list_holds(acme, keys):
    active = ApiKey.objects.for_organization(acme)
    counts = active.active().hygiene()
    filters = {
        "never_used": {"use": "never"},
        "unused": {"use": "unused30"},
        "without_expiry": {"expiry": "none"},
        "expiring": {"expiry": "soon"},
    }
    for name, chosen in filters.items():
        assert active.filtered(status="active", **chosen).count() == counts[name]


def links(html):
    section = html[html.index('id="hygiene-title"') :]
    section = section[: section.index("</section>")]
    return {
        unescape(url): (int(count), label.strip())
        for url, count, label in re.findall(
            r'<a href="([^"]+)"><strong>(\d+)</strong>([^<]+)</a>', section
        )
    }


def test_the_admin_page_links_each_count_to_its_filtered_list(client, alice, keys):
    client.force_login(alice)
    found = links(client.get("/keys/").content.decode())
    assert found == {
        "/keys/?status=active&use=never": (2, "never used"),
        "/keys/?status=active&use=unused30": (3, "unused for 30 days"),
        "/keys/?status=active&expiry=none": (1, "without expiry"),
        "/keys/?status=active&expiry=soon": (2, "expiring within 7 days"),
    }
    html = client.get("/keys/?status=active&expiry=soon").content.decode()
    assert "2 keys" in html
    assert keys["idle"].hint in html and keys["bobs"].hint in html
    assert keys["forever"].hint not in html


def test_a_manager_sees_the_organizations_counts_on_the_quickstart(client, mia, keys):
    client.force_login(mia)
    found = links(client.get("/quickstart/").content.decode())
    assert found["/keys/?status=active&use=unused30"] == (3, "unused for 30 days")


def test_a_member_sees_their_own_keys_counts_without_links(client, bob, keys):
    client.force_login(bob)
    html = client.get("/quickstart/").content.decode()
    section = html[html.index('id="hygiene-title"') : html.index("</section>")]
    assert "your 1 active key" in section
    assert "<a " not in section
    counts = dict(
        (label.strip(), int(n))
        for n, label in re.findall(r"<strong>(\d+)</strong>([^<]+)</li>", section)
    )
    assert counts == {
        "never used": 1,
        "unused for 30 days": 1,
        "without expiry": 0,
        "expiring within 7 days": 1,
    }


def test_a_viewer_sees_no_counts(client, victor, keys):
    client.force_login(victor)
    assert "Key hygiene" not in client.get("/quickstart/").content.decode()


def test_another_organization_counts_only_its_own(client, charlie, keys):
    client.force_login(charlie)
    found = links(client.get("/keys/").content.decode())
    assert found["/keys/?status=active&use=never"] == (1, "never used")
    assert found["/keys/?status=active&expiry=soon"] == (0, "expiring within 7 days")


def test_the_counts_are_one_query_on_the_admin_page(client, alice, keys):
    """The page costs the same queries with one key to count or many."""
    client.force_login(alice)
    client.get("/keys/")  # the session's first request does some once-only work
    with CaptureQueriesContext(connection) as before:
        client.get("/keys/")
    for n in range(5):
        issue_api_key(environment=keys["fresh"].environment, name=f"more {n}", by=alice)
    with CaptureQueriesContext(connection) as after:
        client.get("/keys/")
    assert len(after) == len(before)
    # Four conditional counts in one statement (FILTER, or CASE WHEN where unsupported).
    counting = [q["sql"] for q in after if q["sql"].count("COUNT(") == 5]
    assert len(counting) == 1
