"""Renaming and archiving projects and environments (issue 10 item 6)."""

from audit.models import Action, AuditEvent
from environments.models import Environment, Project
from keys.models import ApiKey, issue_api_key
from tests.conftest import bearer

PROJECT = "/projects/billing-api/"
DEVELOPMENT = "/projects/billing-api/environments/development/"


def test_it_renames_a_project_and_keeps_its_slug(client, alice, project):
    client.force_login(alice)
    assert client.get(f"{PROJECT}rename/").status_code == 200
    response = client.post(f"{PROJECT}rename/", {"name": "Payments API"})
    assert response.url == PROJECT
    project.refresh_from_db()
    assert (project.name, project.slug) == ("Payments API", "billing-api")
    event = AuditEvent.objects.get(action=Action.PROJECT_RENAMED)
    assert event.metadata == {"before": {"name": "Billing API"}, "after": {"name": "Payments API"}}
    assert event.project_id == project.pk


def test_a_rename_refuses_a_taken_name_but_not_its_own(client, alice, acme, project):
    Project.objects.create(organization=acme, name="Search", slug="search")
    client.force_login(alice)
    response = client.post(f"{PROJECT}rename/", {"name": "search"})
    assert response.status_code == 422
    assert "A project called “Search” already exists" in response.content.decode()
    assert client.post(f"{PROJECT}rename/", {"name": "billing api"}).status_code == 302
    assert not AuditEvent.objects.filter(
        action=Action.PROJECT_RENAMED, metadata__after__name="search"
    )


def test_it_renames_an_environment(client, bob, development, production):
    client.force_login(bob)
    response = client.post(f"{DEVELOPMENT}rename/", {"name": "Production"})
    assert response.status_code == 422
    assert "already has an environment called “production”" in response.content.decode()
    response = client.post(f"{DEVELOPMENT}rename/", {"name": "dev"})
    assert response.url == f"{DEVELOPMENT}keys/"
    development.refresh_from_db()
    assert (development.name, development.slug) == ("dev", "development")
    assert AuditEvent.objects.get(action=Action.ENVIRONMENT_RENAMED).environment_id == (
        development.pk
    )


def test_archiving_an_environment_revokes_its_keys_and_keeps_them(
    client, alice, bob, development, production
):
    dev_key, dev_plaintext = issue_api_key(environment=development, name="dev", by=bob)
    _, live_plaintext = issue_api_key(environment=production, name="live", by=alice)
    client.force_login(alice)
    page = client.get(f"{DEVELOPMENT}archive/").content.decode()
    assert "Its 1 usable key is revoked now" in page
    response = client.post(f"{DEVELOPMENT}archive/", {"reason": ""})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    response = client.post(f"{DEVELOPMENT}archive/", {"reason": "moved to staging"})
    assert response.url == PROJECT

    development.refresh_from_db()
    assert development.archived_at is not None
    assert (development.archived_by, development.archived_reason) == (alice, "moved to staging")
    dev_key.refresh_from_db()
    assert dev_key.status == "revoked"
    assert dev_key.revoked_reason == "environment development archived: moved to staging"
    assert client.get("/v1/auth/verify", **bearer(dev_plaintext)).status_code == 401
    assert client.get("/v1/auth/verify", **bearer(live_plaintext)).status_code == 200
    event = AuditEvent.objects.get(action=Action.ENVIRONMENT_ARCHIVED)
    assert event.metadata == {"reason": "moved to staging", "keys_revoked": 1}
    assert AuditEvent.objects.filter(action=Action.KEY_REVOKED, target_id=dev_key.public_id)
    assert Environment.objects.count() == 2 and ApiKey.objects.count() == 2  # nothing deleted

    # Still there to read; closed to new keys and to further changes.
    tab = client.get(f"{DEVELOPMENT}keys/").content.decode()
    assert "Archived " in tab and "moved to staging" in tab
    assert "New API Key" not in tab
    assert client.get(f"{DEVELOPMENT}keys/new/").status_code == 403
    assert client.post(f"{DEVELOPMENT}archive/", {"reason": "again"}).status_code == 403
    assert client.post(f"{DEVELOPMENT}rename/", {"name": "x"}).status_code == 403
    quickstart = client.get("/keys/new/").content.decode()
    assert "Billing API / production" in quickstart
    assert "Billing API / development" not in quickstart
    tabs = client.get(f"{PROJECT}environments/production/keys/").content.decode()
    assert 'href="/projects/billing-api/environments/development/keys/"' not in tabs


def test_archiving_a_project_revokes_every_key_inside(client, alice, development, production):
    keys = [
        issue_api_key(environment=environment, name=environment.name, by=alice)
        for environment in (development, production)
    ]
    client.force_login(alice)
    response = client.post(f"{PROJECT}archive/", {"reason": "retired"})
    assert response.url == "/projects/"
    for key, plaintext in keys:
        key.refresh_from_db()
        assert key.status == "revoked"
        assert client.get("/v1/auth/verify", **bearer(plaintext)).status_code == 401
    event = AuditEvent.objects.get(action=Action.PROJECT_ARCHIVED)
    assert event.metadata == {"reason": "retired", "keys_revoked": 2}
    projects = client.get("/projects/").content.decode()
    assert "Archived Billing API; revoked 2 keys." in projects  # the message, once
    assert 'href="/projects/billing-api/"' not in projects
    detail = client.get(PROJECT).content.decode()
    assert "retired" in detail and "New environment" not in detail
    assert client.post(f"{PROJECT}environments/new/", {"name": "qa"}).status_code == 403
    assert "Create a project" in client.get("/quickstart/").content.decode()


def test_a_member_may_rename_but_not_archive(client, bob, development):
    client.force_login(bob)
    assert client.get(f"{PROJECT}rename/").status_code == 200
    assert client.post(f"{PROJECT}archive/", {"reason": "x"}).status_code == 403
    assert client.post(f"{DEVELOPMENT}archive/", {"reason": "x"}).status_code == 403
    assert Environment.objects.get().archived_at is None


def test_another_organization_gets_404(client, charlie, globex, development):
    client.force_login(charlie)
    for url in (f"{PROJECT}rename/", f"{PROJECT}archive/", f"{DEVELOPMENT}archive/"):
        assert client.post(url, {"reason": "x", "name": "x"}).status_code == 404
    assert Environment.objects.get(pk=development.pk).archived_at is None
