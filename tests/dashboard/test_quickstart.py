import re
from html import unescape

from django.utils import timezone

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import Environment, Project, create_environment, create_project
from keys.models import ApiKey, issue_api_key

URL = "/quickstart/"
PROJECT_URL = "/quickstart/project/"
ENVIRONMENT_URL = "/quickstart/environment/"
TITLES = [
    "Create a project",
    "Create an environment",
    "Create an API key",
    "Make your first request",
]


def progress(html):
    """Each contract step title with the state the page shows for it, in order."""
    pattern = "(" + "|".join(TITLES) + r')\s*<span class="state">([^<]+)</span>'
    return re.findall(pattern, html)


def states(html):
    return [state for _, state in progress(html)]


def test_it_shows_the_four_steps_in_order(client, alice, acme):
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert [title for title, _ in progress(html)] == TITLES
    assert "<html" in html


def test_it_starts_at_the_first_step(client, alice, acme):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["next", "to do", "to do", "to do"]
    assert f'action="{PROJECT_URL}"' in html


def test_it_moves_on_once_there_is_a_project(client, alice, project):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["done", "next", "to do", "to do"]
    assert "Billing API" in html
    assert f'action="{ENVIRONMENT_URL}"' in html
    assert f'action="{PROJECT_URL}"' not in html


def test_it_moves_on_once_there_is_an_environment(client, alice, development):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["done", "done", "next", "to do"]
    assert "New API Key" in html
    assert f"?environment={development.pk}" in html


def test_it_shows_the_curl_line_once_there_is_a_key(client, alice, api_key):
    key, plaintext = api_key
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["done", "done", "done", "next"]
    assert f"export KEYDESK_KEY='{key.hint}'" in html
    text = unescape(html)
    assert 'curl -H "Authorization: Bearer $KEYDESK_KEY" http://testserver/v1/auth/verify' in text
    # The same request in Python and Node, as tabs, reading the key from the environment.
    assert "os.environ['KEYDESK_KEY']" in text and "requests.get(" in text
    assert 'await fetch("http://testserver/v1/auth/verify"' in text
    assert "process.env.KEYDESK_KEY" in text
    assert text.count('role="tabpanel"') == 3
    assert plaintext not in html


def test_it_is_done_once_the_key_is_used(client, alice, api_key):
    key, _ = api_key
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["done", "done", "done", "done"]
    assert "First request received" in html


def test_it_answers_htmx_with_the_steps_alone(client, alice, project, htmx):
    client.force_login(alice)
    response = client.get(URL, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<ol id="steps"')
    assert "<html" not in html
    assert states(html) == ["done", "next", "to do", "to do"]
    assert "HX-Request" in response["Vary"]


def test_the_steps_refresh_when_a_key_is_created(client, alice, acme):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert 'hx-trigger="keyCreated from:body' in html


def test_it_creates_the_project(client, alice, acme):
    client.force_login(alice)
    response = client.post(PROJECT_URL, {"name": "Billing API"})
    assert response.status_code == 302
    assert response.url == URL
    project = Project.objects.get()
    assert project.organization == acme
    assert project.slug == "billing-api"
    assert project.created_by == alice
    event = AuditEvent.objects.get(action=Action.PROJECT_CREATED)
    assert event.project_id == project.pk
    assert verify_chain(acme.pk) is None


def test_it_creates_the_project_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post(PROJECT_URL, {"name": "Billing API"}, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<ol id="steps"')
    assert "<html" not in html
    assert states(html) == ["done", "next", "to do", "to do"]
    assert Project.objects.get().name == "Billing API"


def test_it_rejects_a_blank_project_name(client, alice, acme):
    client.force_login(alice)
    response = client.post(PROJECT_URL, {"name": "  "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Project.objects.exists()


def test_it_rejects_a_blank_project_name_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post(PROJECT_URL, {"name": ""}, **htmx)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<ol id="steps"')
    assert "This field is required." in html
    assert not Project.objects.exists()


def test_it_creates_the_environment(client, alice, project):
    client.force_login(alice)
    response = client.post(ENVIRONMENT_URL, {"name": "production", "is_production": "on"})
    assert response.status_code == 302
    assert response.url == URL
    environment = Environment.objects.get()
    assert environment.project == project
    assert environment.slug == "production"
    assert environment.is_production
    event = AuditEvent.objects.get(action=Action.ENVIRONMENT_CREATED)
    assert event.metadata == {"is_production": True}


def test_it_creates_the_environment_from_htmx(client, alice, project, htmx):
    client.force_login(alice)
    response = client.post(ENVIRONMENT_URL, {"name": "development"}, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<ol id="steps"')
    assert states(html) == ["done", "done", "next", "to do"]
    assert not Environment.objects.get().is_production


def test_it_puts_the_environment_in_the_newest_project(client, alice, acme, project):
    from environments.models import create_project

    newer = create_project(organization=acme, name="Newer", by=alice)
    client.force_login(alice)
    client.post(ENVIRONMENT_URL, {"name": "development"})
    assert Environment.objects.get().project == newer


def test_it_rejects_a_blank_environment_name(client, alice, project, htmx):
    client.force_login(alice)
    response = client.post(ENVIRONMENT_URL, {"name": ""}, **htmx)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Environment.objects.exists()


def test_it_wants_a_project_before_an_environment(client, alice, acme):
    client.force_login(alice)
    response = client.post(ENVIRONMENT_URL, {"name": "development"})
    assert response.status_code == 422
    assert not Environment.objects.exists()


def test_it_wants_a_project_before_an_environment_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.post(ENVIRONMENT_URL, {"name": "development"}, **htmx)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<ol id="steps"')
    assert f'action="{PROJECT_URL}"' in html
    assert not Environment.objects.exists()


def test_a_member_may_create(client, bob, acme):
    client.force_login(bob)
    assert client.post(PROJECT_URL, {"name": "Billing API"}).status_code == 302
    assert client.post(ENVIRONMENT_URL, {"name": "development"}).status_code == 302
    assert Environment.objects.get().created_by == bob


def test_a_viewer_sees_the_steps_without_forms(client, victor, acme):
    client.force_login(victor)
    html = client.get(URL).content.decode()
    assert [title for title, _ in progress(html)] == TITLES
    assert f'action="{PROJECT_URL}"' not in html


def test_a_viewer_cannot_create_a_project(client, victor, acme):
    client.force_login(victor)
    assert client.post(PROJECT_URL, {"name": "Billing API"}).status_code == 403
    assert not Project.objects.exists()


def test_a_viewer_cannot_create_a_project_from_htmx(client, victor, acme, htmx):
    client.force_login(victor)
    assert client.post(PROJECT_URL, {"name": "Billing API"}, **htmx).status_code == 403
    assert not Project.objects.exists()


def test_a_viewer_cannot_create_an_environment(client, victor, project, htmx):
    client.force_login(victor)
    assert client.post(ENVIRONMENT_URL, {"name": "development"}).status_code == 403
    assert client.post(ENVIRONMENT_URL, {"name": "development"}, **htmx).status_code == 403
    assert not Environment.objects.exists()


def test_it_shows_only_the_current_organizations_progress(client, charlie, globex, api_key):
    client.force_login(charlie)
    html = client.get(URL).content.decode()
    assert states(html) == ["next", "to do", "to do", "to do"]
    assert ">Billing API<" not in html
    assert api_key[0].hint not in html


def test_another_organizations_project_gets_no_environment(client, charlie, globex, project):
    client.force_login(charlie)
    response = client.post(ENVIRONMENT_URL, {"name": "development"})
    assert response.status_code == 422
    assert not Environment.objects.exists()


def test_it_asks_an_anonymous_user_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/quickstart/"
    response = client.post(PROJECT_URL, {"name": "Billing API"})
    assert response.url.startswith("/accounts/login/")
    assert not Project.objects.exists()


def test_the_step_forms_refuse_get(client, alice, acme):
    client.force_login(alice)
    assert client.get(PROJECT_URL).status_code == 405
    assert client.get(ENVIRONMENT_URL).status_code == 405


def test_it_polls_while_the_key_is_unused(client, alice, api_key):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert re.search(r'hx-trigger="[^"]*every \d+m?s', html)


def test_it_stops_polling_once_the_key_is_used(client, alice, api_key):
    key, _ = api_key
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert not re.search(r'hx-trigger="[^"]*every \d+m?s', html)


def test_the_refusal_page_keeps_the_navigation(client, victor, acme):
    client.force_login(victor)
    response = client.post(PROJECT_URL, {"name": "Billing API"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your role (viewer) cannot do this." in html
    assert 'href="/projects/"' in html
    assert '<span class="org">Acme</span>' in html


def test_it_follows_one_project_not_the_keys_of_another(client, alice, acme, api_key):
    """A second project starts the thread again: step 3 is not done by the first one's key."""
    client.force_login(alice)
    search = create_project(organization=acme, name="Search", by=alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["done", "next", "to do", "to do"]
    assert "Search" in html
    assert api_key[0].hint not in html
    staging = create_environment(project=search, name="staging", by=alice)
    html = client.get(URL).content.decode()
    assert states(html) == ["done", "done", "next", "to do"]
    assert f"?environment={staging.pk}" in html
    assert api_key[0].hint not in html


def test_a_first_key_goes_to_an_environment_that_is_not_production(
    client, alice, production, development
):
    """Whatever the order they were made in, development before production."""
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert f"?environment={development.pk}" in html


def test_the_key_step_names_the_key_of_the_chosen_environment(client, alice, production, api_key):
    live, _ = issue_api_key(environment=production, name="live one", by=alice)
    client.force_login(alice)
    html = client.get(URL).content.decode()
    # The newest key leads: its environment is the thread's, and only that key is shown.
    assert f"?environment={production.pk}" in html
    assert live.hint in html
    assert api_key[0].hint not in html


def test_it_refuses_a_duplicate_project_or_environment(client, alice, development, htmx):
    client.force_login(alice)
    response = client.post(PROJECT_URL, {"name": "billing api"}, **htmx)
    assert response.status_code == 422
    assert "A project called “Billing API” already exists" in response.content.decode()
    assert Project.objects.count() == 1
    Environment.objects.all().delete()
    create_environment(project=Project.objects.get(), name="staging", by=alice)
    response = client.post(ENVIRONMENT_URL, {"name": "Staging"})
    assert response.status_code == 422
    assert Environment.objects.count() == 1
