"""REGISTRATION_OPEN: when false, /accounts/signup/ is closed and only admins add people."""

from django.contrib.auth.models import User

from environments.models import Organization
from tests.conftest import PASSWORD

URL = "/accounts/signup/"
FORM = {
    "username": "dana",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "organization": "Initech",
}


def test_it_is_open_by_default(client, db, settings):
    assert settings.REGISTRATION_OPEN is True
    assert "Create your account" in client.get(URL).content.decode()
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()


def test_closed_it_says_so_and_creates_nothing(client, db, settings):
    settings.REGISTRATION_OPEN = False
    page = client.get(URL).content.decode()
    assert "Sign-up is closed" in page
    assert 'name="password1"' not in page
    client.post(URL, FORM)
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_closed_the_sign_in_page_offers_no_sign_up(client, db, settings):
    settings.REGISTRATION_OPEN = False
    assert 'href="/accounts/signup/"' not in client.get("/accounts/login/").content.decode()


def test_closed_admins_still_add_members(client, alice, acme, settings):
    settings.REGISTRATION_OPEN = False
    client.force_login(alice)
    client.post("/members/new/", {"username": "dana", "email": "", "role": "member"})
    assert User.objects.filter(username="dana", memberships__organization=acme).exists()
