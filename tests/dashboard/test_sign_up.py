from django.contrib.auth.models import User

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import Membership, Organization, Role
from tests.conftest import PASSWORD

URL = "/accounts/signup/"


def form(**overrides):
    return {
        "username": "dana",
        "email": "dana@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "organization": "Initech",
        **overrides,
    }


def test_it_shows_the_form(client, db):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Create your account" in html
    assert 'name="organization"' in html


def test_it_shows_the_form_to_htmx(client, db, htmx):
    response = client.get(URL, **htmx)
    assert response.status_code == 200
    assert "Create your account" in response.content.decode()


def test_it_creates_a_user_an_organization_and_makes_them_its_admin(client, db):
    response = client.post(URL, form())
    assert response.status_code == 302
    assert response.url == "/quickstart/"

    user = User.objects.get(username="dana")
    organization = Organization.objects.get(name="Initech")
    assert organization.slug == "initech"
    membership = Membership.objects.get(user=user)
    assert membership.organization == organization
    assert membership.role == Role.ADMIN


def test_it_signs_the_new_user_in(client, db):
    client.post(URL, form())
    response = client.get("/quickstart/")
    assert response.status_code == 200
    assert "Initech" in response.content.decode()


def test_it_records_the_sign_up(client, db):
    client.post(URL, form())
    organization = Organization.objects.get(name="Initech")
    event = AuditEvent.objects.get(organization=organization)
    assert event.action == Action.SIGN_UP
    assert event.actor_kind == "user"
    assert event.actor_name == "dana"
    assert event.target_name == "Initech"
    assert event.ip == "127.0.0.1"
    assert verify_chain(organization.pk) is None


def test_it_stores_the_password_with_argon2(client, db):
    client.post(URL, form())
    user = User.objects.get(username="dana")
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)


def test_it_works_for_htmx_too(client, db, htmx):
    response = client.post(URL, form(), **htmx)
    assert response.status_code == 302
    assert User.objects.filter(username="dana").exists()


def test_it_rejects_a_taken_username(client, alice):
    response = client.post(URL, form(username="alice"))
    assert response.status_code == 422
    assert "A user with that username already exists." in response.content.decode()
    assert not Organization.objects.filter(name="Initech").exists()
    assert User.objects.count() == 1


def test_it_rejects_a_taken_username_in_another_case(client, alice):
    response = client.post(URL, form(username="ALICE"))
    assert response.status_code == 422
    assert User.objects.count() == 1


def test_it_rejects_a_weak_password(client, db):
    response = client.post(URL, form(password1="password", password2="password"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "This password is too common." in html
    assert not User.objects.exists()
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_rejects_a_weak_password_from_htmx(client, db, htmx):
    response = client.post(URL, form(password1="12345678", password2="12345678"), **htmx)
    assert response.status_code == 422
    assert "This password is entirely numeric." in response.content.decode()
    assert not User.objects.exists()


def test_it_rejects_mismatched_passwords(client, db):
    response = client.post(URL, form(password2=PASSWORD + "!"))
    assert response.status_code == 422
    assert "You must type the same password each time." in response.content.decode()
    assert not User.objects.exists()


def test_it_requires_an_organization_name(client, db):
    response = client.post(URL, form(organization="  "))
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_it_gives_a_taken_organization_name_its_own_slug(client, alice, acme):
    client.post(URL, form(organization="Acme"))
    organization = Organization.objects.get(memberships__user__username="dana")
    assert organization != acme
    assert organization.slug == "acme-2"
    assert not Membership.objects.filter(organization=acme, user__username="dana").exists()


def test_it_sends_a_signed_in_user_home(client, alice, acme):
    client.force_login(alice)
    response = client.post(URL, form())
    assert response.status_code == 302
    assert response.url == "/"
    assert not User.objects.filter(username="dana").exists()


def test_it_refuses_other_methods(client, db):
    assert client.put(URL).status_code == 405


def test_an_empty_post_says_what_is_missing(client, db):
    response = client.post(URL, {})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not User.objects.exists()
