import pytest
from django.db import IntegrityError, transaction

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import (
    Environment,
    Membership,
    Organization,
    Project,
    Role,
    create_environment,
    create_organization,
    create_project,
    unique_slug,
)


def test_it_creates_an_organization_with_its_admin(alice):
    organization = create_organization(name="Acme Corp", admin=alice)
    assert organization.slug == "acme-corp"
    membership = Membership.objects.get(organization=organization)
    assert membership.user == alice
    assert membership.role == Role.ADMIN


def test_creating_an_organization_records_the_sign_up(alice):
    organization = create_organization(name="Acme", admin=alice)
    event = AuditEvent.objects.get(organization=organization)
    assert event.action == Action.SIGN_UP
    assert event.actor_name == "alice"
    assert event.target_kind == "organization"
    assert event.target_id == str(organization.pk)
    assert verify_chain(organization.pk) is None


def test_organization_slugs_stay_unique(alice):
    first = create_organization(name="Acme", admin=alice)
    second = create_organization(name="ACME", admin=alice)
    third = create_organization(name="!!!", admin=alice)
    assert [first.slug, second.slug, third.slug] == ["acme", "acme-2", "org"]


def test_unique_slug_cuts_long_names(acme):
    slug = unique_slug("x" * 200, Organization.objects, fallback="org")
    assert slug == "x" * 40


def test_unique_slug_counts_up(alice, acme):
    create_organization(name="Acme", admin=alice)
    assert unique_slug("Acme", Organization.objects, fallback="org") == "acme-3"


def test_it_creates_a_project_and_records_it(alice, acme):
    project = create_project(organization=acme, name="Billing API", by=alice)
    assert project.slug == "billing-api"
    assert project.created_by == alice
    event = AuditEvent.objects.get(action=Action.PROJECT_CREATED)
    assert event.organization == acme
    assert event.project_id == project.pk
    assert event.target_name == "Billing API"
    assert verify_chain(acme.pk) is None


def test_project_slugs_are_unique_per_organization(alice, acme, charlie, globex):
    ours = create_project(organization=acme, name="Billing API", by=alice)
    again = create_project(organization=acme, name="Billing API", by=alice)
    theirs = create_project(organization=globex, name="Billing API", by=charlie)
    assert [ours.slug, again.slug, theirs.slug] == ["billing-api", "billing-api-2", "billing-api"]


def test_the_database_refuses_a_duplicate_project_slug(acme):
    Project.objects.create(organization=acme, name="A", slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(organization=acme, name="B", slug="same")


def test_it_creates_an_environment_and_records_it(alice, acme, project):
    environment = create_environment(
        project=project, name="Production", is_production=True, by=alice
    )
    assert environment.slug == "production"
    assert environment.is_production
    assert environment.organization == acme
    assert environment.default_rate_limit == Environment.DEFAULT_RATE_LIMIT
    event = AuditEvent.objects.get(action=Action.ENVIRONMENT_CREATED)
    assert event.organization == acme
    assert event.environment_id == environment.pk
    assert event.metadata == {"is_production": True}
    assert verify_chain(acme.pk) is None


def test_environment_slugs_are_unique_per_project(alice, acme, project, development):
    other = create_project(organization=acme, name="Other", by=alice)
    again = create_environment(project=project, name="development", by=alice)
    elsewhere = create_environment(project=other, name="development", by=alice)
    assert again.slug == "development-2"
    assert elsewhere.slug == "development"


def test_production_keys_are_tagged_live(development, production):
    assert development.key_tag == "test"
    assert production.key_tag == "live"


def test_environments_list_production_first(project, development, production):
    assert list(project.environments.all()) == [production, development]


def test_it_names_things(acme, bob, development):
    assert str(acme) == "Acme"
    assert str(development) == "Billing API / development"
    assert str(Membership.objects.get(user=bob)) == "bob in Acme (member)"


@pytest.mark.parametrize(
    ("role", "create_keys", "create_projects", "grant_manage", "admin"),
    [
        (Role.ADMIN, True, True, True, True),
        (Role.MEMBER, True, True, False, False),
        (Role.VIEWER, False, False, False, False),
    ],
)
def test_roles_follow_the_matrix(role, create_keys, create_projects, grant_manage, admin):
    membership = Membership(role=role)
    assert membership.can_create_keys is create_keys
    assert membership.can_create_projects is create_projects
    assert membership.can_grant_manage is grant_manage
    assert membership.is_admin is admin


def test_a_user_joins_an_organization_once(acme, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(organization=acme, user=bob, role=Role.ADMIN)


def test_querysets_start_from_what_the_user_may_see(
    alice, bob, acme, development, charlie, globex, globex_environment
):
    assert list(Organization.objects.for_user(bob)) == [acme]
    assert list(Project.objects.for_user(bob)) == [development.project]
    assert list(Environment.objects.for_user(bob)) == [development]
    assert list(Environment.objects.for_user(charlie)) == [globex_environment]
    assert list(Project.objects.for_organization(globex)) == [globex_environment.project]
    assert list(Environment.objects.for_organization(acme)) == [development]
    assert list(Membership.objects.for_user(alice)) == [Membership.objects.get(user=alice)]


def test_a_user_with_several_organizations_sees_each_once(alice, acme, charlie, globex):
    Membership.objects.create(organization=globex, user=alice, role=Role.VIEWER)
    create_project(organization=globex, name="Shared", by=charlie)
    assert sorted(o.slug for o in Organization.objects.for_user(alice)) == ["acme", "globex"]
    assert [p.name for p in Project.objects.for_user(alice)] == ["Shared"]


def test_the_change_and_its_event_commit_together(alice, acme, project, monkeypatch):
    def broken_record(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("environments.models.record", broken_record)
    with pytest.raises(RuntimeError):
        create_environment(project=project, name="development", by=alice)
    with pytest.raises(RuntimeError):
        create_project(organization=acme, name="Other", by=alice)
    assert not Environment.objects.exists()
    assert list(Project.objects.all()) == [project]
