"""A member added with a one-time password chooses their own at first sign-in."""

import re

from dashboard.members import add_member
from dashboard.models import OneTimePassword
from environments.models import Role

NEW = "a-much-better-passphrase-42"


def added(acme, alice):
    membership, password = add_member(
        organization=acme, username="dana", role=Role.MEMBER, by=alice
    )
    return membership.user, password


def test_a_new_member_is_sent_to_choose_a_password_first(client, alice, acme):
    _dana, password = added(acme, alice)
    client.post("/accounts/login/", {"login": "dana", "password": password})
    response = client.get("/projects/")
    assert response.status_code == 302
    assert response.url == "/accounts/password/?next=%2Fprojects%2F"
    page = client.get(response.url).content.decode()
    assert "one-time password" in page


def test_htmx_requests_are_sent_there_too(client, alice, acme, htmx):
    dana, _password = added(acme, alice)
    client.force_login(dana)
    response = client.get("/projects/", **htmx)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/password/")


def test_after_choosing_a_password_they_carry_on(client, alice, acme):
    dana, password = added(acme, alice)
    client.post("/accounts/login/", {"login": "dana", "password": password})
    response = client.post(
        "/accounts/password/?next=/projects/",
        {"oldpassword": password, "password1": NEW, "password2": NEW, "next": "/projects/"},
    )
    assert response.status_code == 302
    assert response.url == "/projects/"
    assert not OneTimePassword.objects.filter(user=dana).exists()
    assert client.get("/projects/").status_code == 200
    dana.refresh_from_db()
    assert dana.check_password(NEW)


def test_they_can_still_sign_out(client, alice, acme):
    dana, _ = added(acme, alice)
    client.force_login(dana)
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_members_who_chose_their_password_are_left_alone(client, bob):
    client.force_login(bob)
    assert client.get("/projects/").status_code == 200


def test_the_password_page_shows_no_warning_to_others(client, bob):
    client.force_login(bob)
    assert not re.search("one-time password", client.get("/accounts/password/").content.decode())
