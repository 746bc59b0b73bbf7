import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from environments.access import SESSION_KEY
from environments.models import Membership, Role, create_organization

URL = "/organizations/switch/"


@pytest.fixture
def initech(alice):
    """A second organization of alice's, newer than Acme."""
    return create_organization(name="Initech", admin=alice)


def test_it_switches_to_another_organization_of_the_users(client, alice, acme, initech):
    client.force_login(alice)
    response = client.post(URL, {"organization": initech.pk})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session[SESSION_KEY] == initech.pk
    html = client.get("/projects/").content.decode()
    assert f'<option value="{initech.pk}" selected>Initech</option>' in html


def test_it_switches_from_htmx(client, alice, acme, initech, htmx):
    client.force_login(alice)
    response = client.post(URL, {"organization": initech.pk}, **htmx)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == initech.pk


def test_it_keeps_to_the_oldest_organization_by_default(client, alice, acme, initech):
    client.force_login(alice)
    html = client.get("/projects/").content.decode()
    assert f'<option value="{acme.pk}" selected>Acme</option>' in html
    assert client.session[SESSION_KEY] == acme.pk


def test_the_switch_changes_what_the_pages_show(client, alice, project, initech):
    client.force_login(alice)
    assert client.get("/projects/billing-api/").status_code == 200
    client.post(URL, {"organization": initech.pk})
    assert client.get("/projects/billing-api/").status_code == 404
    client.post(URL, {"organization": project.organization_id})
    assert client.get("/projects/billing-api/").status_code == 200


def test_a_viewer_may_switch(client, victor, acme, charlie, globex):
    Membership.objects.create(organization=globex, user=victor, role=Role.VIEWER)
    client.force_login(victor)
    client.post(URL, {"organization": globex.pk})
    assert client.session[SESSION_KEY] == globex.pk


def test_it_refuses_an_organization_the_user_is_not_in(client, alice, acme, charlie, globex):
    client.force_login(charlie)
    response = client.post(URL, {"organization": acme.pk})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == globex.pk
    assert client.get("/projects/").content.decode().count("Acme") == 0


def test_it_refuses_an_organization_the_user_is_not_in_from_htmx(
    client, alice, acme, charlie, globex, htmx
):
    client.force_login(charlie)
    assert client.post(URL, {"organization": acme.pk}, **htmx).status_code == 404
    assert client.session[SESSION_KEY] == globex.pk


def test_it_ignores_garbage(client, alice, acme, initech):
    client.force_login(alice)
    response = client.post(URL, {"organization": "acme"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == acme.pk


def test_it_offers_only_the_users_organizations(client, alice, acme, initech, charlie, globex):
    client.force_login(alice)
    html = client.get("/projects/").content.decode()
    assert "Initech" in html
    assert "Globex" not in html


def test_it_asks_an_anonymous_user_to_sign_in(client, acme):
    response = client.post(URL, {"organization": acme.pk})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_refuses_get(client, alice, acme):
    client.force_login(alice)
    assert client.get(URL).status_code == 405


def test_it_offers_the_other_organizations_oldest_first(client, alice, acme, initech):
    create_organization(name="Umbrella", admin=alice)
    client.force_login(alice)
    html = client.get("/projects/").content.decode()
    assert html.index(">Acme<") < html.index(">Initech<") < html.index(">Umbrella<")


def test_a_page_reads_the_users_memberships_once(client, alice, acme, initech):
    # The access decorator loads them; the navigation reuses them rather than asking again.
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/projects/").content.decode()
    membership_reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "environments_membership"' in q["sql"]
    ]
    assert len(membership_reads) == 1
    assert f'<option value="{initech.pk}">Initech</option>' in html


def test_an_id_no_database_holds_is_refused_not_a_crash(client, alice, acme):
    """Found by hypothesis (tests/test_forms_hypothesis.py): 2**64 crashed SQLite's driver."""
    client.force_login(alice)
    response = client.post("/organizations/switch/", {"organization": str(2**64)})
    assert response.status_code == 302  # invalid: back home, nothing switched
    assert response["Location"] == "/"
