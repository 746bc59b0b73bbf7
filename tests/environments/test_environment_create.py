from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import Environment, create_project

URL = "/projects/billing-api/environments/new/"


def test_it_creates_an_environment(client, alice, project):
    client.force_login(alice)
    response = client.post(URL, {"name": "Staging"})
    assert response.status_code == 302
    assert response.url == "/projects/billing-api/environments/staging/keys/"
    environment = Environment.objects.get()
    assert environment.project == project
    assert environment.name == "Staging"
    assert environment.slug == "staging"
    assert not environment.is_production
    assert environment.key_tag == "test"
    assert environment.created_by == alice


def test_it_creates_a_production_environment(client, alice, project):
    client.force_login(alice)
    client.post(URL, {"name": "production", "is_production": "on"})
    environment = Environment.objects.get()
    assert environment.is_production
    assert environment.key_tag == "live"


def test_it_creates_an_environment_from_htmx(client, alice, project, htmx):
    client.force_login(alice)
    response = client.post(URL, {"name": "development"}, **htmx)
    assert response.status_code == 302
    assert Environment.objects.get().slug == "development"


def test_it_records_the_creation(client, alice, acme, project):
    client.force_login(alice)
    client.post(URL, {"name": "production", "is_production": "on"})
    environment = Environment.objects.get()
    event = AuditEvent.objects.get(action=Action.ENVIRONMENT_CREATED)
    assert event.organization == acme
    assert event.project_id == project.pk
    assert event.environment_id == environment.pk
    assert event.target_kind == "environment"
    assert event.target_name == "production"
    assert event.metadata == {"is_production": True}
    assert event.actor_name == "alice"
    assert verify_chain(acme.pk) is None


def test_it_rejects_a_blank_name(client, alice, project):
    client.force_login(alice)
    response = client.post(URL, {"name": ""})
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html
    assert "<h1>Billing API</h1>" in html
    assert not Environment.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.ENVIRONMENT_CREATED).exists()


def test_it_rejects_a_blank_name_from_htmx(client, alice, project, htmx):
    client.force_login(alice)
    response = client.post(URL, {"name": " "}, **htmx)
    assert response.status_code == 422
    assert not Environment.objects.exists()


def test_a_member_may_create_an_environment(client, bob, project):
    client.force_login(bob)
    assert client.post(URL, {"name": "development"}).status_code == 302
    assert Environment.objects.get().created_by == bob


def test_a_viewer_cannot_create_an_environment(client, victor, project, htmx):
    client.force_login(victor)
    assert client.post(URL, {"name": "development"}).status_code == 403
    assert client.post(URL, {"name": "development"}, **htmx).status_code == 403
    assert not Environment.objects.exists()


def test_another_organization_gets_404(client, charlie, globex, project, htmx):
    client.force_login(charlie)
    assert client.post(URL, {"name": "backdoor"}).status_code == 404
    assert client.post(URL, {"name": "backdoor"}, **htmx).status_code == 404
    assert not Environment.objects.exists()


def test_an_unknown_project_gets_404(client, alice, acme):
    client.force_login(alice)
    response = client.post("/projects/nope/environments/new/", {"name": "development"})
    assert response.status_code == 404


def test_it_asks_an_anonymous_user_to_sign_in(client, project):
    response = client.post(URL, {"name": "development"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Environment.objects.exists()


def test_it_refuses_get(client, alice, project):
    client.force_login(alice)
    assert client.get(URL).status_code == 405


def test_it_refuses_a_name_the_project_already_has(client, alice, project, development, htmx):
    client.force_login(alice)
    for name, headers in (("development", {}), ("Development", htmx), ("DEVELOPMENT ", {})):
        response = client.post(URL, {"name": name}, **headers)
        assert response.status_code == 422
        html = response.content.decode()
        assert "Billing API already has an environment called “development”" in html
    assert Environment.objects.count() == 1


def test_another_project_may_use_the_same_name(client, alice, acme, development):
    other = create_project(organization=acme, name="Search", by=alice)
    client.force_login(alice)
    response = client.post(f"/projects/{other.slug}/environments/new/", {"name": "development"})
    assert response.status_code == 302
    assert Environment.objects.filter(name="development").count() == 2
