"""The members domain functions, against the database."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied

from dashboard.members import (
    LastAdminError,
    add_member,
    change_role,
    end_sessions,
    one_time_password,
    personal_keys,
    remove_member,
)
from environments.models import Membership, Role
from keys.models import Kind, issue_api_key


def session_for(user):
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.create()
    return session.session_key


def test_one_time_passwords_are_random():
    passwords = {one_time_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 23 for p in passwords)


def test_it_ends_only_the_users_sessions(alice, bob):
    bobs = [session_for(bob), session_for(bob)]
    alices = session_for(alice)
    assert end_sessions(bob) == 2
    assert not any(SessionStore(session_key=key).exists(key) for key in bobs)
    assert SessionStore().exists(alices)


def test_personal_keys_are_the_users_unrevoked_personal_keys_in_the_organization(
    alice, bob, acme, development, globex_environment
):
    mine, _ = issue_api_key(environment=development, name="mine", by=bob)
    issue_api_key(environment=development, name="service", by=bob, kind=Kind.SERVICE)
    issue_api_key(environment=development, name="alice's", by=alice)
    revoked, _ = issue_api_key(environment=development, name="revoked", by=bob)
    revoked.revoke(by=alice, reason="test")
    Membership.objects.create(organization=globex_environment.organization, user=bob)
    issue_api_key(environment=globex_environment, name="elsewhere", by=bob)
    assert list(personal_keys(bob, acme)) == [mine]


def test_only_an_admin_may_change_members(alice, bob, victor, acme):
    with pytest.raises(PermissionDenied):
        change_role(membership=Membership.objects.get(user=victor), role=Role.MEMBER, by=bob)
    with pytest.raises(PermissionDenied):
        remove_member(membership=Membership.objects.get(user=victor), by=bob)
    with pytest.raises(PermissionDenied):
        add_member(organization=acme, username="dana", by=bob)
    assert Membership.objects.get(user=victor).role == Role.VIEWER


def test_the_last_admin_stays(alice, acme):
    membership = Membership.objects.get(user=alice)
    with pytest.raises(LastAdminError):
        change_role(membership=membership, role=Role.VIEWER, by=alice)
    with pytest.raises(LastAdminError):
        remove_member(membership=membership, by=alice)
    assert Membership.objects.get(user=alice).role == Role.ADMIN


def test_a_stale_membership_is_read_again_under_the_lock(alice, bob, acme):
    """Two admins demoting each other at once: the second sees the first's change."""
    Membership.objects.filter(user=bob).update(role=Role.ADMIN)
    alices = Membership.objects.get(user=alice)
    bobs = Membership.objects.get(user=bob)
    change_role(membership=alices, role=Role.MEMBER, by=bob)
    with pytest.raises(PermissionDenied):  # alice is no admin any more
        change_role(membership=bobs, role=Role.MEMBER, by=alice)
    with pytest.raises(LastAdminError):
        change_role(membership=bobs, role=Role.MEMBER, by=bob)
    assert Membership.objects.get(user=bob).role == Role.ADMIN
