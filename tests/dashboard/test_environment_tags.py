"""Environment tags: edited by those who may change the environment, validated by the text
rule, audited, shown as chips, and a filter on All keys."""

import pytest
from django.test import Client

from audit.models import Action, AuditEvent
from environments.models import EnvironmentTag, set_tags
from keys.models import ApiKey, issue_api_key

URL = "/projects/billing-api/environments/development/tags/"


def tags_of(environment):
    return {t.key: t.value for t in environment.tags.all()}


def test_it_saves_trimmed_tags_and_audits_the_change(client, bob, development):
    client.force_login(bob)
    response = client.post(URL, {"tags": "  Team = payments \n\nregion=eu\n"})
    assert response.status_code == 302
    assert response["Location"] == "/projects/billing-api/environments/development/keys/"
    assert tags_of(development) == {"team": "payments", "region": "eu"}
    event = AuditEvent.objects.get(action=Action.ENVIRONMENT_TAGS_CHANGED)
    assert (event.actor_kind, event.actor_name) == ("user", "bob")
    assert event.environment == development
    assert event.metadata == {"before": {}, "after": {"team": "payments", "region": "eu"}}

    client.post(URL, {"tags": "region=us"})
    assert tags_of(development) == {"region": "us"}
    last = AuditEvent.objects.filter(action=Action.ENVIRONMENT_TAGS_CHANGED).latest("id")
    assert last.metadata["before"] == {"team": "payments", "region": "eu"}


def test_an_unchanged_form_writes_and_records_nothing(client, bob, development, alice):
    set_tags(environment=development, tags={"team": "payments"}, by=alice)
    client.force_login(bob)
    page = client.get(URL).content.decode()
    assert "team=payments</textarea>" in page
    client.post(URL, {"tags": "team=payments"})
    assert AuditEvent.objects.filter(action=Action.ENVIRONMENT_TAGS_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("team", "Line 1: the tag value of &#x27;team&#x27; cannot be empty"),
        ("=payments", "Line 1: the tag needs a key"),
        ("team=a\nteam=b", "Line 2: &#x27;team&#x27; is already set above."),
        ("te am=x", "may hold only letters a-z, digits"),
        ("x" * 33 + "=y", "key must be at most 32 characters"),
        ("team=" + "v" * 65, "must be at most 64 characters"),
        ("team=pay\u202eEVIL", "invisible or control character U+202E"),
        ("\n".join(f"k{i}=v" for i in range(21)), "At most 20 tags (there are 21)."),
    ],
)
def test_bad_tags_are_refused_with_a_clear_error(client, bob, development, text, problem):
    client.force_login(bob)
    response = client.post(URL, {"tags": text})
    assert response.status_code == 422
    assert problem in response.content.decode()
    assert EnvironmentTag.objects.count() == 0


def test_viewers_may_not_and_outsiders_get_404(client, victor, charlie, globex, development):
    client.force_login(victor)
    assert client.post(URL, {"tags": "team=x"}).status_code == 403
    client.force_login(charlie)
    assert client.post(URL, {"tags": "team=x"}).status_code == 404
    assert EnvironmentTag.objects.count() == 0


def test_an_archived_environment_keeps_its_tags(client, alice, development):
    from keys.models import archive

    archive(target=development, by=alice, reason="done")
    client.force_login(alice)
    assert client.post(URL, {"tags": "team=x"}).status_code == 403


def test_chips_show_on_the_environment_project_and_all_keys(client, alice, development):
    set_tags(environment=development, tags={"team": "payments", "region": "eu"}, by=alice)
    issue_api_key(environment=development, name="k", by=alice)
    client.force_login(alice)
    for url in (
        "/projects/billing-api/environments/development/keys/",
        "/projects/billing-api/",
        "/keys/",
    ):
        html = client.get(url).content.decode()
        assert '<ul class="chips" aria-label="Tags of development">' in html, url
        assert '<a href="/keys/?tag=region%3Deu">region=eu</a>' in html, url
        assert "team=payments" in html, url


def test_members_see_chips_without_links_to_a_page_they_cannot_open(
    client, bob, alice, development
):
    set_tags(environment=development, tags={"team": "payments"}, by=alice)
    client.force_login(bob)
    html = client.get("/projects/billing-api/").content.decode()
    assert '<li class="chip">team=payments</li>' in html
    assert "/keys/?tag=" not in html


@pytest.fixture
def tagged(alice, development, production):
    set_tags(environment=development, tags={"team": "payments", "region": "eu"}, by=alice)
    set_tags(environment=production, tags={"team": "search"}, by=alice)
    payments, _ = issue_api_key(environment=development, name="payments key", by=alice)
    search, _ = issue_api_key(environment=production, name="search key", by=alice)
    return payments, search


def test_keys_filter_by_tag(tagged):
    payments, search = tagged
    assert list(ApiKey.objects.filtered(tag=("team", "payments"))) == [payments]
    assert set(ApiKey.objects.filtered(tag=("team", ""))) == {payments, search}
    assert list(ApiKey.objects.filtered(tag=("region", "us"))) == []


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("team=payments", {"payments key"}),
        (" Team = search ", {"search key"}),
        ("team", {"payments key", "search key"}),
        ("region=eu", {"payments key"}),
        ("region=EU", {"payments key"}),
        ("colour=red", set()),
    ],
)
def test_all_keys_filters_by_tag(client: Client, alice, tagged, query, shown, htmx):
    client.force_login(alice)
    for extra in ({}, htmx):
        html = client.get("/keys/", {"tag": query}, **extra).content.decode()
        assert {n for n in ("payments key", "search key") if f">{n}</a>" in html} == shown


def test_a_malformed_tag_filter_is_dropped_not_a_500(client, alice, tagged):
    client.force_login(alice)
    response = client.get("/keys/", {"tag": "bad key=\u202e"})
    assert response.status_code == 200
    assert ">payments key</a>" in response.content.decode()


def test_tag_filter_stays_in_the_organization(client, charlie, globex_environment, tagged):
    set_tags(environment=globex_environment, tags={"team": "payments"}, by=charlie)
    issue_api_key(environment=globex_environment, name="globex key", by=charlie)
    client.force_login(charlie)
    html = client.get("/keys/", {"tag": "team=payments"}).content.decode()
    assert ">globex key</a>" in html
    assert "payments key" not in html
