"""`Add member`: a new account whose password is shown once, to be handed over."""

import json
import re

from django.contrib.auth.models import User
from django.db import connection

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from dashboard.members import READABLE_ALPHABET
from environments.models import Membership, Role

URL = "/members/new/"
PASSWORD_RE = re.compile(r'id="member-password" type="text" value="([^"]+)"')


def add(client, username="dana", role="member", email="dana@example.com", **extra):
    return client.post(URL, {"username": username, "email": email, "role": role}, **extra)


def shown_password(response):
    return PASSWORD_RE.search(response.content.decode()).group(1)


def test_it_shows_the_form(client, alice, acme):
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    for name in ("username", "email", "role"):
        assert f'name="{name}"' in html
    assert ">Add member</button>" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_it_shows_the_form_to_htmx_in_a_dialog(client, alice, acme, htmx):
    client.force_login(alice)
    response = client.get(URL, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog")
    assert "data-modal" in html
    assert "<html" not in html
    assert 'hx-target="closest dialog"' in html


def test_it_adds_a_member_with_a_password_shown_once(client, alice, acme):
    client.force_login(alice)
    response = add(client, role="viewer")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    user = User.objects.get(username="dana")
    assert user.email == "dana@example.com"
    assert user.is_active
    assert user.password.startswith("argon2")
    assert user.check_password(password)
    membership = Membership.objects.get(user=user)
    assert membership.organization == acme
    assert membership.role == Role.VIEWER
    # The page the admin comes back to does not show it again.
    assert password not in client.get("/members/").content.decode()


def test_it_answers_htmx_with_a_locked_dialog_and_refreshes_the_table(client, alice, acme, htmx):
    client.force_login(alice)
    response = add(client, **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog")
    assert "data-locked" in html
    assert 'closedby="none"' in html
    assert "<html" not in html
    assert "membersChanged" in json.loads(response["HX-Trigger"])
    assert "no-store" in response["Cache-Control"]
    assert User.objects.get(username="dana").check_password(shown_password(response))


def test_the_password_is_strong_and_new_each_time(client, alice, acme):
    client.force_login(alice)
    first = shown_password(add(client, username="dana"))
    second = shown_password(add(client, username="erin"))
    assert first != second
    for password in (first, second):
        groups = password.split("-")
        assert [len(g) for g in groups] == [5, 5, 5, 5]
        assert set("".join(groups)) <= set(READABLE_ALPHABET)


def test_it_records_the_addition_without_the_password(client, alice, acme):
    client.force_login(alice)
    password = shown_password(add(client, role="member"))
    user = User.objects.get(username="dana")
    event = AuditEvent.objects.get(action=Action.MEMBER_ADDED)
    assert event.organization_id == acme.pk
    assert event.actor_name == "alice"
    assert (event.target_kind, event.target_id, event.target_name) == ("user", str(user.pk), "dana")
    assert event.metadata == {"username": "dana", "role": "member", "account": "created"}
    assert verify_chain(acme.pk) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        assert password not in repr(cursor.fetchall())
        cursor.execute("SELECT password FROM auth_user WHERE username = 'dana'")
        assert password not in cursor.fetchone()[0]


def test_the_new_member_signs_in_with_the_password(client, alice, acme):
    client.force_login(alice)
    password = shown_password(add(client))
    client.logout()
    response = client.post("/accounts/login/", {"login": "dana", "password": password})
    assert response.status_code == 302
    # Signed in, and asked first to replace the one-time password (test_first_password.py).
    assert client.get("/projects/").url.startswith("/accounts/password/")
    assert "one-time password" in client.get("/accounts/password/").content.decode()


def test_it_refuses_a_taken_username_whatever_its_case(client, alice, bob):
    client.force_login(alice)
    response = add(client, username="Bob")
    assert response.status_code == 422
    assert "That username is taken" in response.content.decode()
    assert not User.objects.filter(username="Bob").exists()
    assert not AuditEvent.objects.filter(action=Action.MEMBER_ADDED).exists()


def test_it_refuses_a_username_of_another_organization_without_joining_it(
    client, alice, acme, charlie, globex
):
    client.force_login(alice)
    assert add(client, username="charlie").status_code == 422
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()


def test_it_refuses_an_unknown_role(client, alice, acme):
    client.force_login(alice)
    assert add(client, role="owner").status_code == 422
    assert not User.objects.filter(username="dana").exists()


def test_it_refuses_a_blank_username_from_htmx(client, alice, acme, htmx):
    client.force_login(alice)
    response = add(client, username="", **htmx)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith("<dialog")
    assert "This field is required." in html
    assert not User.objects.filter(username="").exists()


def test_it_refuses_a_member(client, bob, htmx):
    client.force_login(bob)
    assert client.get(URL).status_code == 403
    assert add(client).status_code == 403
    assert add(client, **htmx).status_code == 403
    assert not User.objects.filter(username="dana").exists()


def test_it_refuses_a_viewer(client, victor):
    client.force_login(victor)
    assert add(client).status_code == 403
    assert not User.objects.filter(username="dana").exists()


def test_another_organizations_admin_adds_to_their_own(client, alice, acme, charlie, globex):
    client.force_login(charlie)
    add(client)
    assert Membership.objects.get(user__username="dana").organization == globex


def test_it_asks_an_anonymous_user_to_sign_in(client, acme):
    response = add(client)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not User.objects.filter(username="dana").exists()
