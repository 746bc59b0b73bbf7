from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from audit.chain import verify_chain
from audit.models import AuditEvent
from dashboard.quickstart import Quickstart
from environments.models import Environment, Membership, Organization, Project, Role


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return [
        model.objects.count()
        for model in (User, Organization, Membership, Project, Environment, AuditEvent)
    ]


def test_it_creates_the_demo(db):
    out = seed()
    user = User.objects.get(username="demo")
    organization = Organization.objects.get(slug="demo")
    assert organization.name == "demo"
    membership = Membership.objects.get(user=user)
    assert membership.organization == organization
    assert membership.role == Role.ADMIN
    project = Project.objects.get(organization=organization)
    assert project.slug == "demo"
    environments = {e.slug: e.is_production for e in project.environments.all()}
    assert environments == {"development": False, "production": True}
    assert out.splitlines()[1:] == ["  User      demo", out.splitlines()[2], ""]
    password = out.splitlines()[2].removeprefix("  Password  ")
    assert len(password) >= 16
    assert user.check_password(password)
    assert user.password.startswith("argon2")


def test_it_records_what_it_creates(db):
    seed()
    organization = Organization.objects.get(slug="demo")
    actions = list(AuditEvent.objects.chain(organization.pk).values_list("action", flat=True))
    assert actions == ["sign_up", "project_created", "environment_created", "environment_created"]
    assert verify_chain(organization.pk) is None


def test_it_sets_the_given_password(db):
    out = seed("--password", "demo-password-1")
    assert "demo-password-1" in out
    assert User.objects.get(username="demo").check_password("demo-password-1")


def test_running_it_again_changes_nothing(db):
    seed()
    before = counts()
    password = User.objects.get(username="demo").password
    out = seed()
    assert counts() == before
    assert User.objects.get(username="demo").password == password
    assert "Password  unchanged" in out


def test_running_it_again_with_a_password_changes_only_the_password(db):
    seed("--password", "first-password-1")
    before = counts()
    seed("--password", "second-password-2")
    assert counts() == before
    user = User.objects.get(username="demo")
    assert user.check_password("second-password-2")
    assert not user.check_password("first-password-1")


def test_it_completes_a_partial_demo(db):
    seed()
    Environment.objects.filter(slug="production").delete()
    seed()
    production = Environment.objects.get(slug="production")
    assert production.is_production
    assert Project.objects.count() == 1


def test_it_leaves_other_organizations_alone(client, alice, acme):
    seed()
    assert not Membership.objects.filter(organization=acme, user__username="demo").exists()
    client.force_login(User.objects.get(username="demo"))
    assert client.get("/projects/acme/").status_code == 404


def test_the_demo_user_can_sign_in(client, db):
    seed("--password", "demo-password-1")
    response = client.post("/accounts/login/", {"login": "demo", "password": "demo-password-1"})
    assert response.status_code == 302
    assert client.get("/quickstart/").status_code == 200


def test_it_never_joins_someone_elses_organization_named_demo(db, charlie):
    from environments.models import create_organization

    theirs = create_organization(name="Demo", admin=charlie)
    seed()
    assert not Membership.objects.filter(organization=theirs, user__username="demo").exists()
    demo = Membership.objects.get(user__username="demo").organization
    assert demo.name == "demo"
    assert demo != theirs
    assert Project.objects.get(organization=demo).slug == "demo"
    assert not Project.objects.filter(organization=theirs).exists()
    before = counts()
    seed()
    assert counts() == before


def test_the_demo_quickstart_offers_development_for_a_first_key(db):
    seed()
    quickstart = Quickstart(Organization.objects.get(slug="demo"))
    assert quickstart.environment.slug == "development"
    assert not quickstart.environment.is_production


def test_it_ends_with_where_to_go_and_how_to_sign_in(db):
    """What `make run` shows last before the server starts."""
    out = seed("--password", "demo-password-1", "--url", "http://127.0.0.1:8000/")
    assert out.strip().splitlines() == [
        "Keydesk   http://127.0.0.1:8000/",
        "  User      demo",
        "  Password  demo-password-1",
    ]
