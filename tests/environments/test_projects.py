from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import Project, create_project

URL = "/projects/"


def test_it_lists_the_projects_and_their_environments(client, alice, development, production):
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/projects/billing-api/">Billing API</a>' in html
    assert "/projects/billing-api/environments/development/keys/" in html
    assert "/projects/billing-api/environments/production/keys/" in html


def test_it_answers_htmx_with_the_same_page(client, alice, project, htmx):
    client.force_login(alice)
    response = client.get(URL, **htmx)
    assert response.status_code == 200
    assert ">Billing API</a>" in response.content.decode()


def test_it_says_when_there_are_none(client, alice, acme):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "No projects yet." in html
    assert 'href="/quickstart/"' in html


def test_it_lists_only_the_current_organizations_projects(
    client, alice, project, globex_environment
):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "Billing API" in html
    assert "Secret Project" not in html


def test_it_creates_a_project(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL, {"name": "Billing API"})
    assert response.status_code == 302
    assert response.url == "/projects/billing-api/"
    project = Project.objects.get()
    assert project.organization == acme
    assert project.created_by == alice
    event = AuditEvent.objects.get(action=Action.PROJECT_CREATED)
    assert event.target_name == "Billing API"
    assert event.project_id == project.pk
    assert verify_chain(acme.pk) is None


def test_it_creates_a_project_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post(URL, {"name": "Billing API"}, **htmx)
    assert response.status_code == 302
    assert Project.objects.get().slug == "billing-api"


def test_it_refuses_a_name_already_taken(client, alice, project):
    """The same name in another case, or one with the same slug, is the same project."""
    client.force_login(alice)
    for name in ("Billing API", "billing api", "Billing-API", " BILLING API "):
        response = client.post(URL, {"name": name})
        assert response.status_code == 422
        assert "A project called “Billing API” already exists" in response.content.decode()
    assert Project.objects.count() == 1


def test_another_organization_may_use_the_same_name(client, charlie, globex, project):
    client.force_login(charlie)
    assert client.post(URL, {"name": "Billing API"}).status_code == 302
    assert Project.objects.filter(name="Billing API").count() == 2


def test_a_name_that_only_starts_like_a_taken_one_is_fine(client, alice, project):
    client.force_login(alice)
    assert client.post(URL, {"name": "Billing API v2"}).url == "/projects/billing-api-v2/"


def test_it_rejects_a_blank_name(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL, {"name": ""})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Project.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.PROJECT_CREATED).exists()


def test_it_rejects_a_blank_name_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post(URL, {"name": "   "}, **htmx)
    assert response.status_code == 422
    assert not Project.objects.exists()


def test_it_rejects_a_too_long_name(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL, {"name": "x" * 101})
    assert response.status_code == 422
    assert not Project.objects.exists()


def test_a_member_may_create_a_project(client, bob, acme):
    client.force_login(bob)
    assert client.post(URL, {"name": "Billing API"}).status_code == 302
    assert Project.objects.get().created_by == bob


def test_a_viewer_sees_the_list_without_the_form(client, victor, project):
    client.force_login(victor)
    html = client.get(URL).content.decode()
    assert "Billing API" in html
    assert "New project" not in html


def test_a_viewer_cannot_create_a_project(client, victor, acme, htmx):
    client.force_login(victor)
    assert client.post(URL, {"name": "Billing API"}).status_code == 403
    assert client.post(URL, {"name": "Billing API"}, **htmx).status_code == 403
    assert not Project.objects.exists()


def test_a_project_is_created_in_the_current_organization(client, charlie, globex, project):
    client.force_login(charlie)
    client.post(URL, {"name": "Billing API"})
    theirs = Project.objects.get(organization=globex)
    assert theirs.slug == "billing-api"
    assert theirs != project
    assert project.organization.projects.count() == 1


def test_it_asks_an_anonymous_user_to_sign_in(client, project):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/projects/"
    response = client.post(URL, {"name": "Sneaky"})
    assert response.url.startswith("/accounts/login/")
    assert Project.objects.count() == 1


def test_it_refuses_other_methods(client, alice, acme):
    client.force_login(alice)
    assert client.delete(URL).status_code == 405


def test_it_lists_projects_by_name(client, alice, acme):
    for name in ("Zeta", "Alpha", "Mid"):
        create_project(organization=acme, name=name, by=alice)
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert html.index(">Alpha<") < html.index(">Mid<") < html.index(">Zeta<")


def test_an_empty_post_says_what_is_missing(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL, {})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Project.objects.exists()
