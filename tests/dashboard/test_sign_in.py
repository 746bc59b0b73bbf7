from axes.models import AccessAttempt
from django.conf import settings

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from tests.conftest import PASSWORD

URL = "/accounts/login/"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(URL, {"login": username, "password": password}, **extra)


def test_it_shows_the_form(client, db):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="login"' in html
    assert 'name="password"' in html


def test_it_shows_the_form_to_htmx(client, db, htmx):
    response = client.get(URL, **htmx)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_it_signs_in(client, alice, acme):
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_signs_in_from_htmx(client, alice, acme, htmx):
    response = sign_in(client, "alice", **htmx)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_follows_a_safe_next(client, alice, acme):
    response = client.post(URL, {"login": "alice", "password": PASSWORD, "next": "/projects/"})
    assert response.url == "/projects/"


def test_it_ignores_an_offsite_next(client, alice, acme):
    response = client.post(
        URL, {"login": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_it_records_the_sign_in(client, alice, acme):
    sign_in(client, "alice", HTTP_USER_AGENT="pytest")
    event = AuditEvent.objects.get(organization=acme, action=Action.SIGN_IN)
    assert event.action == Action.SIGN_IN
    assert event.actor_name == "alice"
    assert event.actor_id == str(alice.pk)
    assert event.user_agent == "pytest"
    assert verify_chain(acme.pk) is None


def test_it_records_the_sign_in_in_each_organization(client, alice, acme, charlie, globex):
    from environments.models import Membership, Role

    Membership.objects.create(organization=globex, user=alice, role=Role.VIEWER)
    sign_in(client, "alice")
    assert AuditEvent.objects.filter(organization=acme, action=Action.SIGN_IN).count() == 1
    assert AuditEvent.objects.filter(organization=globex, action=Action.SIGN_IN).count() == 1
    assert verify_chain(globex.pk) is None


def test_it_rejects_a_wrong_password(client, alice, acme):
    response = sign_in(client, "alice", "wrong password")
    assert response.status_code == 200
    assert "That username and password do not match." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_rejects_a_wrong_password_from_htmx(client, alice, acme, htmx):
    response = sign_in(client, "alice", "wrong password", **htmx)
    assert "That username and password do not match." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_records_a_failed_sign_in_with_the_attempted_username(client, alice, acme):
    sign_in(client, "alice", "wrong password")
    event = AuditEvent.objects.get(organization=acme, action=Action.SIGN_IN_FAILED)
    assert event.actor_kind == "anonymous"
    assert event.actor_name == "alice"
    assert event.metadata == {"username": "alice"}
    assert "wrong password" not in str(event.canonical())
    assert verify_chain(acme.pk) is None


def test_it_records_an_unknown_username_in_the_organizationless_chain(client, alice, acme):
    sign_in(client, "mallory")
    event = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert event.organization is None
    assert event.actor_name == "mallory"
    assert event.metadata == {"username": "mallory"}
    assert verify_chain(None) is None


def test_it_does_not_record_an_empty_form(client, alice, acme):
    response = client.post(URL, {"login": "alice", "password": ""})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).exists()


def test_it_refuses_an_overlong_username_before_authenticating(client, db):
    response = sign_in(client, "m" * 10_000)
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not AuditEvent.objects.exists()
    assert not AccessAttempt.objects.exists()


def test_it_records_a_username_of_the_longest_length(client, db):
    sign_in(client, "m" * 150)
    event = AuditEvent.objects.get()
    assert event.actor_name == "m" * 150


def test_it_locks_out_after_repeated_failures(client, alice, acme):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert sign_in(client, "alice", "wrong password").status_code == 200
    response = sign_in(client, "alice", "wrong password")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5


def test_it_refuses_the_right_password_while_locked_out(client, alice, acme):
    for _ in range(5):
        sign_in(client, "alice", "wrong password")
    response = sign_in(client, "alice")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=Action.SIGN_IN).exists()


def test_it_locks_out_htmx_with_the_same_page(client, alice, acme, htmx):
    for _ in range(5):
        response = sign_in(client, "alice", "wrong password", **htmx)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_it_locks_out_only_that_username(client, alice, acme, bob):
    for _ in range(5):
        sign_in(client, "alice", "wrong password")
    response = sign_in(client, "bob")
    assert response.status_code == 302


def test_it_records_the_failures_up_to_the_lockout_not_past_it(client, alice, acme, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong password")
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() == 5
    # Locked out: further attempts are refused and not written one by one.
    for _ in range(10):
        assert sign_in(client, "alice", "wrong password").status_code == 429
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() == 5
    assert verify_chain(acme.pk) is None


def test_a_success_resets_the_failure_count(client, alice, acme):
    for _ in range(4):
        sign_in(client, "alice", "wrong password")
    sign_in(client, "alice")
    client.logout()
    for _ in range(4):
        assert sign_in(client, "alice", "wrong password").status_code == 200


def test_it_sends_a_signed_in_user_home(client, alice, acme):
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/"


def test_it_records_the_sign_in_of_a_user_with_no_organization(client, charlie):
    sign_in(client, "charlie")
    event = AuditEvent.objects.get(action=Action.SIGN_IN)
    assert event.organization is None
    assert event.actor_name == "charlie"
    assert verify_chain(None) is None


def test_it_locks_out_an_unknown_username_too(client, db):
    for _ in range(5):
        response = sign_in(client, "mallory", "guess")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(organization=None, action=Action.SIGN_IN_FAILED).count() == 5
    assert verify_chain(None) is None


def test_the_lockout_page_keeps_the_security_headers(client, alice, acme):
    for _ in range(5):
        response = sign_in(client, "alice", "wrong password")
    policy = response["Content-Security-Policy"]
    assert "'nonce-" in policy
    assert "'unsafe-inline'" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert 'href="/accounts/login/"' in response.content.decode()


def test_a_forgotten_password_is_explained_not_mailed(client, alice, acme, mailoutbox):
    response = client.get("/accounts/password/reset/")
    assert response.status_code == 200
    assert "Ask an admin of your organization" in response.content.decode()
    assert (
        client.post("/accounts/password/reset/", {"email": "alice@example.com"}).status_code == 405
    )
    assert mailoutbox == []
