from environments.models import create_project

URL = "/projects/billing-api/"


def test_it_shows_the_project_and_its_environments(client, alice, development, production):
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Billing API</h1>" in html
    assert "<code>kd_test_…</code>" in html
    assert "<code>kd_live_…</code>" in html
    assert "/projects/billing-api/environments/development/keys/" in html
    # Production first: it is the one to be careful with.
    assert html.index("<code>production</code>") < html.index("<code>development</code>")


def test_it_answers_htmx_with_the_same_page(client, alice, development, htmx):
    client.force_login(alice)
    response = client.get(URL, **htmx)
    assert response.status_code == 200
    assert "<code>development</code>" in response.content.decode()


def test_it_says_when_there_are_no_environments(client, alice, project):
    client.force_login(alice)
    assert "No environments yet." in client.get(URL).content.decode()


def test_it_offers_the_environment_form_to_members(client, bob, project):
    client.force_login(bob)
    html = client.get(URL).content.decode()
    assert 'action="/projects/billing-api/environments/new/"' in html
    assert 'name="is_production"' in html


def test_a_viewer_sees_it_without_the_form(client, victor, development):
    client.force_login(victor)
    html = client.get(URL).content.decode()
    assert "<code>development</code>" in html
    assert "/environments/new/" not in html


def test_another_organization_gets_404(client, charlie, globex, project):
    client.force_login(charlie)
    response = client.get(URL)
    assert response.status_code == 404
    assert "Billing API" not in response.content.decode()


def test_another_organization_gets_404_from_htmx(client, charlie, globex, project, htmx):
    client.force_login(charlie)
    assert client.get(URL, **htmx).status_code == 404


def test_the_same_slug_means_each_organizations_own_project(client, charlie, globex, project):
    create_project(organization=globex, name="Billing API", by=charlie)
    client.force_login(charlie)
    response = client.get(URL)
    assert response.status_code == 200
    assert "No environments yet." in response.content.decode()


def test_an_unknown_project_gets_404(client, alice, acme):
    client.force_login(alice)
    assert client.get("/projects/nope/").status_code == 404


def test_it_asks_an_anonymous_user_to_sign_in(client, project):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={URL}"


def test_it_refuses_post(client, alice, project):
    client.force_login(alice)
    assert client.post(URL).status_code == 405
