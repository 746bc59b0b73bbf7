from django.test import Client

from audit.models import AuditEvent
from tests.conftest import PASSWORD

URL = "/accounts/password/"
NEW = "a-much-better-passphrase-42"


def change(client, old=PASSWORD, new=NEW, again=None):
    return client.post(URL, {"oldpassword": old, "password1": new, "password2": again or new})


def test_it_changes_the_password_and_records_it(client, alice, acme):
    client.force_login(alice)
    response = change(client)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert alice.password.startswith("argon2")
    event = AuditEvent.objects.get(action="password_changed")
    assert event.organization == acme
    assert event.actor_name == "alice"
    assert PASSWORD not in str(event.metadata) and NEW not in str(event.metadata)
    # This session stays signed in.
    assert client.get("/quickstart/").status_code == 200


def test_other_sessions_end(client, alice, acme):
    elsewhere = Client()
    elsewhere.force_login(alice)
    client.force_login(alice)
    change(client)
    response = elsewhere.get("/quickstart/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_wrong_old_password_changes_nothing(client, alice, acme):
    client.force_login(alice)
    response = change(client, old="not it")
    assert "Please type your current password." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="password_changed").exists()


def test_a_weak_new_password_is_refused(client, alice, acme):
    client.force_login(alice)
    response = change(client, new="password")
    assert "This password is too common." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_shows_the_main_navigation(client, alice, acme):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert '<nav aria-label="Main">' in html
    assert 'href="/projects/"' in html
    assert 'href="/audit/"' in html  # alice is an admin of Acme
    assert "Acme" in html
