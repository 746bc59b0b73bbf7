"""Removing a member: confirm, then out, with their personal keys revoked and sessions ended."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from audit.chain import verify_chain
from audit.models import Action, AuditEvent
from environments.models import Membership, Role
from keys.models import ApiKey, Kind, Status, issue_api_key
from tests.conftest import bearer

VERIFY = "/v1/auth/verify"


def url(membership):
    return f"/members/{membership.pk}/remove/"


def membership_of(user, organization=None):
    memberships = Membership.objects.filter(user=user)
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    return memberships.get()


def sessions_of(user):
    return [
        s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]


@pytest.fixture
def bobs_keys(bob, development):
    """bob's personal key and the service key he made, each as (key, plaintext)."""
    return {
        "personal": issue_api_key(environment=development, name="bob laptop", by=bob),
        "service": issue_api_key(
            environment=development, name="billing worker", by=bob, kind=Kind.SERVICE
        ),
    }


def test_it_asks_for_confirmation(client, alice, bob, bobs_keys):
    client.force_login(alice)
    response = client.get(url(membership_of(bob)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Remove <strong>bob</strong>" in html
    assert "Their 1 personal key in Acme is revoked now." in html
    assert "Service keys they created keep working." in html
    assert ">Remove member</button>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert Membership.objects.filter(user=bob).exists()


def test_it_asks_for_confirmation_in_a_dialog_from_htmx(client, alice, bob, htmx):
    client.force_login(alice)
    response = client.get(url(membership_of(bob)), **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<dialog")
    assert "data-modal" in html
    assert "<html" not in html
    assert ">Remove member</button>" in html
    assert 'hx-target="closest dialog"' in html


def test_it_removes_the_member(client, alice, bob, acme):
    client.force_login(alice)
    response = client.post(url(membership_of(bob)))
    assert response.status_code == 302
    assert response.url == "/members/"
    assert not Membership.objects.filter(user=bob).exists()
    html = client.get(response.url).content.decode()
    assert "bob was removed. 0 personal keys revoked" in html
    assert 'data-member="bob"' not in html


def test_it_removes_from_htmx_and_refreshes_the_table(client, alice, bob, acme, bobs_keys, htmx):
    client.force_login(alice)
    response = client.post(url(membership_of(bob)), **htmx)
    html = response.content.decode()
    assert response.status_code == 200
    assert "membersChanged" in json.loads(response["HX-Trigger"])
    assert 'hx-swap-oob="true"' in html
    assert "bob was removed. 1 personal key revoked" in html
    assert "<html" not in html
    assert not Membership.objects.filter(user=bob).exists()


def test_it_revokes_the_personal_keys_and_leaves_the_service_keys(client, alice, bob, bobs_keys):
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    personal = ApiKey.objects.get(pk=bobs_keys["personal"][0].pk)
    service = ApiKey.objects.get(pk=bobs_keys["service"][0].pk)
    assert personal.status == Status.REVOKED
    assert personal.revoked_reason == "member removed"
    assert personal.revoked_by == alice
    assert service.status == Status.ACTIVE


def test_the_revoked_personal_key_fails_verification(client, alice, bob, bobs_keys):
    _, personal = bobs_keys["personal"]
    _, service = bobs_keys["service"]
    assert client.get(VERIFY, **bearer(personal)).status_code == 200
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    response = client.get(VERIFY, **bearer(personal))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_api_key"
    assert client.get(VERIFY, **bearer(service)).status_code == 200


def test_it_records_each_revocation_and_the_removal(client, alice, bob, acme, bobs_keys):
    key, _ = bobs_keys["personal"]
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    revoked = AuditEvent.objects.get(action=Action.KEY_REVOKED)
    assert revoked.target_id == key.public_id
    assert revoked.actor_name == "alice"
    assert revoked.metadata["reason"] == "member removed"
    removed = AuditEvent.objects.get(action=Action.MEMBER_REMOVED)
    assert removed.organization_id == acme.pk
    assert removed.actor_name == "alice"
    assert (removed.target_kind, removed.target_id, removed.target_name) == (
        "user",
        str(bob.pk),
        "bob",
    )
    assert removed.metadata == {
        "username": "bob",
        "role": "member",
        "revoked_keys": [key.public_id],
    }
    assert revoked.pk < removed.pk
    assert verify_chain(acme.pk) is None


def test_it_revokes_expired_and_rotating_personal_keys_too(client, alice, bob, development):
    expired, _ = issue_api_key(
        environment=development,
        name="old",
        by=bob,
        expires_at=timezone.now() - timedelta(days=1),
    )
    rotating, _ = issue_api_key(environment=development, name="rotating", by=bob)
    rotating.revoke(by=bob, reason="rotated", at=timezone.now() + timedelta(hours=1))
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    for key in (expired, rotating):
        key.refresh_from_db()
        assert key.status == Status.REVOKED
        assert key.revoked_reason == "member removed"


def test_it_leaves_keys_already_revoked_alone(client, alice, bob, development):
    key, _ = issue_api_key(environment=development, name="gone", by=bob)
    key.revoke(by=alice, reason="leaked")
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    key.refresh_from_db()
    assert key.revoked_reason == "leaked"
    assert not AuditEvent.objects.filter(action=Action.KEY_REVOKED).exists()


def test_it_leaves_the_members_keys_in_another_organization(
    client, alice, bob, acme, charlie, globex_environment
):
    Membership.objects.create(organization=globex_environment.organization, user=bob)
    elsewhere, plaintext = issue_api_key(environment=globex_environment, name="globex", by=bob)
    client.force_login(alice)
    client.post(url(membership_of(bob, acme)))
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.ACTIVE
    assert client.get(VERIFY, **bearer(plaintext)).status_code == 200


def test_it_leaves_other_members_personal_keys(client, alice, bob, victor, development):
    alices, _ = issue_api_key(environment=development, name="alice laptop", by=alice)
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    alices.refresh_from_db()
    assert alices.status == Status.ACTIVE


def test_the_removed_members_sessions_end(
    client, alice, bob, acme, django_capture_on_commit_callbacks
):
    bobs_client = Client()
    bobs_client.force_login(bob)
    assert bobs_client.get("/projects/").status_code == 200
    assert len(sessions_of(bob)) == 1
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(membership_of(bob)))
    response = bobs_client.get("/projects/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert sessions_of(bob) == []
    assert len(sessions_of(alice)) == 1


def test_an_account_left_in_no_organization_is_deactivated(client, alice, bob, acme):
    client.force_login(alice)
    client.post(url(membership_of(bob)))
    assert not User.objects.get(pk=bob.pk).is_active
    response = Client().post("/accounts/login/", {"login": "bob", "password": "x"})
    assert response.status_code != 302


def test_an_account_still_in_another_organization_stays_active(
    client, alice, bob, acme, charlie, globex, django_capture_on_commit_callbacks
):
    Membership.objects.create(organization=globex, user=bob, role=Role.VIEWER)
    bobs_client = Client()
    bobs_client.force_login(bob)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(membership_of(bob, acme)))
    assert User.objects.get(pk=bob.pk).is_active
    # Signed out everywhere, but may sign in again, and then sees Globex alone.
    assert bobs_client.get("/projects/").status_code == 302
    bobs_client.force_login(bob)
    html = bobs_client.get("/projects/").content.decode()
    assert "Globex" in html
    assert "Acme" not in html


def test_it_refuses_to_remove_the_last_admin(client, alice, bob, acme):
    client.force_login(alice)
    response = client.post(url(membership_of(alice)))
    assert response.status_code == 422
    assert "alice is the last admin of Acme" in response.content.decode()
    assert membership_of(alice).role == Role.ADMIN
    assert not AuditEvent.objects.filter(action=Action.MEMBER_REMOVED).exists()
    assert len(sessions_of(alice)) == 1


def test_it_refuses_to_remove_the_last_admin_from_htmx(client, alice, acme, development, htmx):
    key, _ = issue_api_key(environment=development, name="alice laptop", by=alice)
    client.force_login(alice)
    response = client.post(url(membership_of(alice)), **htmx)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith("<dialog")
    assert "the last admin" in html
    key.refresh_from_db()
    assert key.status == Status.ACTIVE


def test_an_admin_may_leave_when_another_admin_remains(client, alice, bob, acme):
    Membership.objects.filter(user=bob).update(role=Role.ADMIN)
    client.force_login(alice)
    response = client.post(url(membership_of(alice)))
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert not Membership.objects.filter(user=alice).exists()
    assert "_auth_user_id" not in client.session
    assert client.get("/members/").status_code == 302


def test_an_admin_leaving_from_htmx_is_sent_to_sign_in(client, alice, bob, acme, htmx):
    Membership.objects.filter(user=bob).update(role=Role.ADMIN)
    client.force_login(alice)
    response = client.post(url(membership_of(alice)), **htmx)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/"


def test_it_refuses_a_member(client, bob, victor, bobs_keys, htmx):
    client.force_login(bob)
    assert client.get(url(membership_of(victor))).status_code == 403
    assert client.post(url(membership_of(victor))).status_code == 403
    assert client.post(url(membership_of(victor)), **htmx).status_code == 403
    assert Membership.objects.filter(user=victor).exists()


def test_it_refuses_a_viewer(client, bob, victor, bobs_keys):
    client.force_login(victor)
    assert client.post(url(membership_of(bob))).status_code == 403
    assert Membership.objects.filter(user=bob).exists()
    assert bobs_keys["personal"][0].status == Status.ACTIVE


def test_it_answers_404_for_another_organizations_membership(
    client, alice, bob, bobs_keys, charlie, globex, htmx
):
    client.force_login(charlie)
    assert client.get(url(membership_of(bob))).status_code == 404
    assert client.get(url(membership_of(bob)), **htmx).status_code == 404
    assert client.post(url(membership_of(bob))).status_code == 404
    assert client.post(url(membership_of(alice)), **htmx).status_code == 404
    assert Membership.objects.filter(user=bob).exists()
    assert ApiKey.objects.get(pk=bobs_keys["personal"][0].pk).status == Status.ACTIVE


def test_it_asks_an_anonymous_user_to_sign_in(client, bob):
    response = client.post(url(membership_of(bob)))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert Membership.objects.filter(user=bob).exists()
