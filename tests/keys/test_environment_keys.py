import re

from django.urls import reverse

from keys.models import issue_api_key


def tab_url(environment):
    return reverse("keys:environment", args=[environment.project.slug, environment.slug])


def login(client, user):
    client.force_login(user)


def test_it_lists_the_environments_keys(client, alice, api_key, development):
    key, plaintext = api_key
    login(client, alice)
    html = client.get(tab_url(development)).content.decode()
    assert key.name in html
    assert key.hint in html
    assert "alice" in html
    assert ">active<" in html
    assert plaintext not in html


def test_it_lists_only_that_environments_keys(client, alice, development, production):
    issue_api_key(environment=production, name="live one", by=alice)
    issue_api_key(environment=development, name="test one", by=alice)
    login(client, alice)
    html = client.get(tab_url(development)).content.decode()
    assert "test one" in html
    assert "live one" not in html


def test_it_shows_status_and_expiry(client, alice, development):
    from datetime import timedelta

    from django.utils import timezone

    from keys.models import revoke_api_key

    revoked, _ = issue_api_key(environment=development, name="gone", by=alice)
    revoke_api_key(key=revoked, by=alice, reason="test")
    issue_api_key(
        environment=development,
        name="old",
        by=alice,
        expires_at=timezone.now() - timedelta(days=1),
    )
    login(client, alice)
    html = client.get(tab_url(development)).content.decode()
    assert ">revoked<" in html
    assert ">expired<" in html


def test_it_answers_htmx_with_the_table_alone(client, alice, api_key, development, htmx):
    login(client, alice)
    response = client.get(tab_url(development), **htmx)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="key-table"')
    assert 'hx-trigger="keyCreated from:body, keysChanged from:body"' in html
    assert api_key[0].hint in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_it_offers_new_api_key_to_members_not_viewers(client, bob, victor, development):
    login(client, bob)
    assert "New API Key" in client.get(tab_url(development)).content.decode()
    login(client, victor)
    html = client.get(tab_url(development)).content.decode()
    assert "New API Key" not in html
    assert "API keys" in html


def test_another_organization_gets_404(client, charlie, globex, development):
    login(client, charlie)
    assert client.get(tab_url(development)).status_code == 404


def test_an_unknown_environment_gets_404(client, alice, development):
    login(client, alice)
    url = reverse("keys:environment", args=[development.project.slug, "nope"])
    assert client.get(url).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, development):
    response = client.get(tab_url(development))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:login"))


def test_it_shows_last_use_and_recent_requests(client, alice, api_key, development):
    from datetime import timedelta

    from django.utils import timezone

    key, _ = api_key
    today = timezone.now().date()
    key.usage.create(day=today, requests=40)
    key.usage.create(day=today - timedelta(days=3), requests=2)
    key.usage.create(day=today - timedelta(days=30), requests=1000)
    key.last_used_at = timezone.now() - timedelta(hours=2)
    key.save()
    login(client, alice)
    html = client.get(tab_url(development)).content.decode()
    assert "<td>42</td>" in html
    assert "2\xa0hours ago" in html


def test_a_member_may_revoke_only_their_own_keys_from_the_tab(client, alice, bob, development):
    """The shared key table (keys/key_table.html) with this tab's columns."""
    mine, _ = issue_api_key(environment=development, name="bob's", by=bob)
    theirs, _ = issue_api_key(environment=development, name="alice's", by=alice)
    login(client, bob)
    html = client.get(tab_url(development)).content.decode()
    rows = dict(re.findall(r'<tr data-key-id="(\w+)">(.*?)</tr>', html, re.S))
    assert ">Revoke</button>" in rows[mine.public_id]
    assert ">Revoke</button>" not in rows[theirs.public_id]
    assert '<th scope="col">Requests (7 days)</th>' in html
    assert 'type="checkbox"' not in html  # no bulk selection here
    assert '<th scope="col">Project</th>' not in html  # the page is one environment


def test_requests_still_in_the_cache_count_at_once(client, alice, api_key, development):
    """25 calls within the minute: the tab says 25, not the 1 flushed with the first use."""
    key, plaintext = api_key
    for _ in range(25):
        assert (
            client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code
            == 200
        )
    assert sum(key.usage.values_list("requests", flat=True)) < 25  # most are still in the cache
    login(client, alice)
    html = client.get(tab_url(development)).content.decode()
    assert "<td>25</td>" in html
    html = client.get(f"/keys/{key.public_id}/").content.decode()
    assert "<td>25</td>" in html
    assert "from <code data-last-used-ip>127.0.0.1</code>" in html
