"""/keys/: every key of the organization for admins, filterable, searchable by pasted key."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from environments.models import create_environment, create_project
from keys.models import ApiKey, Kind, issue_api_key, revoke_api_key

URL = "/keys/"


@pytest.fixture
def keys(alice, bob, development, production):
    """A spread of keys: {name: (key, plaintext)}."""
    made = {
        "alice-dev": issue_api_key(environment=development, name="alice-dev", by=alice),
        "bob-dev": issue_api_key(environment=development, name="bob-dev", by=bob),
        "bob-live": issue_api_key(environment=production, name="bob-live", by=bob),
        "service": issue_api_key(
            environment=production, name="service", by=alice, kind=Kind.SERVICE
        ),
        "soon": issue_api_key(
            environment=development,
            name="soon",
            by=alice,
            expires_at=timezone.now() + timedelta(days=3),
        ),
        "expired": issue_api_key(
            environment=development,
            name="expired",
            by=alice,
            expires_at=timezone.now() - timedelta(days=1),
        ),
        "revoked": issue_api_key(environment=development, name="revoked", by=alice),
    }
    revoke_api_key(key=made["revoked"][0], by=alice, reason="test")
    used = made["alice-dev"][0]
    ApiKey.objects.filter(pk=used.pk).update(last_used_at=timezone.now())
    stale = made["bob-dev"][0]
    ApiKey.objects.filter(pk=stale.pk).update(last_used_at=timezone.now() - timedelta(days=40))
    return made


def listed(response):
    return {
        name
        for name in (
            "alice-dev",
            "bob-dev",
            "bob-live",
            "service",
            "soon",
            "expired",
            "revoked",
        )
        if f">{name}</a>" in response.content.decode()
    }


def test_it_lists_every_key_of_the_organization(client, alice, keys, globex_environment, charlie):
    issue_api_key(environment=globex_environment, name="theirs", by=charlie)
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert listed(response) == set(keys)
    assert "theirs" not in html
    assert "Revoke selected" in html
    assert html.count('type="checkbox" name="keys"') == 6  # one for each key not yet revoked
    assert ">revoked<" in html
    for key, plaintext in keys.values():
        assert key.hint in html
        assert plaintext not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", {"alice-dev", "bob-dev", "bob-live", "service", "soon"}),
        ("status=expired", {"expired"}),
        ("status=revoked", {"revoked"}),
        ("kind=service", {"service"}),
        ("use=never", {"bob-live", "service", "soon", "expired", "revoked"}),
        ("use=unused30", {"bob-dev", "bob-live", "service", "soon", "expired", "revoked"}),
        ("expiry=soon", {"soon"}),
        ("q=bob", {"bob-dev", "bob-live"}),
    ],
)
def test_it_filters(client, alice, keys, query, expected):
    client.force_login(alice)
    assert listed(client.get(f"{URL}?{query}")) == expected


def test_it_filters_by_creator_project_and_environment(client, alice, bob, keys, production):
    client.force_login(alice)
    assert listed(client.get(f"{URL}?creator={bob.pk}")) == {"bob-dev", "bob-live"}
    assert listed(client.get(f"{URL}?environment={production.pk}")) == {"bob-live", "service"}
    other = create_project(organization=production.project.organization, name="Other", by=alice)
    env = create_environment(project=other, name="dev", by=alice)
    issue_api_key(environment=env, name="elsewhere", by=alice)
    html = client.get(f"{URL}?project={other.pk}").content.decode()
    assert ">elsewhere</a>" in html
    assert listed(client.get(f"{URL}?project={other.pk}")) == set()


def test_expiry_none_lists_keys_without_expiry(client, alice, keys):
    client.force_login(alice)
    names = listed(client.get(f"{URL}?expiry=none"))
    assert names == {"alice-dev", "bob-dev", "bob-live", "service", "revoked"}


def test_a_pasted_key_is_matched_by_digest_and_never_echoed(client, alice, keys):
    client.force_login(alice)
    key, plaintext = keys["bob-live"]
    response = client.get(URL, {"q": plaintext, "status": "active"})
    assert response.status_code == 302
    assert plaintext not in response["Location"]
    assert response["Location"] == f"{URL}?q={key.public_id}&status=active"
    response = client.get(response["Location"])
    assert listed(response) == {"bob-live"}
    assert plaintext not in response.content.decode()


def test_a_pasted_key_over_htmx_reloads_the_page_without_it(client, alice, keys, htmx):
    client.force_login(alice)
    key, plaintext = keys["bob-live"]
    response = client.get(URL, {"q": plaintext}, **htmx)
    assert response["HX-Redirect"] == f"{URL}?q={key.public_id}"
    assert plaintext not in response.content.decode()


def test_a_key_from_another_organization_is_not_found_by_paste(
    client, alice, keys, globex_environment, charlie
):
    _, theirs = issue_api_key(environment=globex_environment, name="theirs", by=charlie)
    client.force_login(alice)
    response = client.get(URL, {"q": theirs}, follow=True)
    html = response.content.decode()
    assert listed(response) == set(keys)  # the search is dropped, not answered
    assert "No key of this organization matches the pasted key." in html
    assert "theirs" not in html
    assert theirs not in html


def test_bad_filter_values_are_ignored_not_500(client, alice, keys):
    client.force_login(alice)
    response = client.get(f"{URL}?project=999999&status=nonsense&creator=abc")
    assert response.status_code == 200
    assert listed(response) == set(keys)


def test_it_answers_htmx_with_the_table_alone(client, alice, keys, htmx):
    client.force_login(alice)
    response = client.get(f"{URL}?kind=service", **htmx)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="admin-table"')
    assert 'hx-trigger="keysChanged from:body"' in html
    assert "<html" not in html
    assert listed(response) == {"service"}


@pytest.mark.parametrize("persona", ["bob", "victor"])
def test_members_and_viewers_get_403(client, keys, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_an_admin_of_another_organization_sees_only_their_own(client, charlie, globex, keys):
    client.force_login(charlie)
    response = client.get(URL)
    assert response.status_code == 200
    assert listed(response) == set()


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_pasted_key_is_posted_and_the_page_names_it_by_id(client, alice, keys):
    client.force_login(alice)
    key, plaintext = keys["bob-live"]
    response = client.post(URL, {"secret": f"  {plaintext} "})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?q={key.public_id}"
    page = client.get(response["Location"])
    assert listed(page) == {"bob-live"}
    assert plaintext not in page.content.decode()


def test_a_pasted_key_with_an_invalid_filter_still_never_echoes(client, alice, keys):
    client.force_login(alice)
    _, plaintext = keys["bob-live"]
    response = client.get(URL, {"q": plaintext, "creator": "999999"})
    assert response.status_code == 302
    assert plaintext not in response["Location"]


def test_an_unknown_pasted_key_says_so(client, alice, keys):
    from keys import tokens

    client.force_login(alice)
    response = client.post(URL, {"secret": tokens.generate("live")}, follow=True)
    assert "No key of this organization matches the pasted key." in response.content.decode()


def test_each_row_says_where_the_key_lives_and_offers_it_for_bulk_revocation(client, alice, keys):
    """The shared key table (keys/key_table.html) with the columns of all keys."""
    client.force_login(alice)
    html = client.get(URL).content.decode()
    rows = dict(re.findall(r'<tr data-key-id="(\w+)">(.*?)</tr>', html, re.S))
    live = rows[keys["bob-live"][0].public_id]
    assert "<td>Billing API</td>" in live
    assert '<span class="tag live">live</span>' in live
    assert 'form="bulk-revoke"' in live
    revoked = rows[keys["revoked"][0].public_id]
    assert 'type="checkbox"' not in revoked
    assert ">Revoke</button>" not in revoked
    assert "Requests (7 days)" not in html
