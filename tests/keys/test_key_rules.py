"""The rules of a key's life, asked of ApiKey and its QuerySet against the database."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from environments.models import Membership
from keys.models import (
    ApiKey,
    BeyondIssuer,
    check_may_issue,
    issue_api_key,
    permission_columns,
    revoke_api_key,
    rotate_api_key,
)


def test_unrevoked_keeps_expired_keys_and_rotated_ones_in_their_grace_window(development, alice):
    expired, _ = issue_api_key(
        environment=development, name="e", by=alice, expires_at=timezone.now() + timedelta(days=1)
    )
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    rotated, _ = issue_api_key(environment=development, name="r", by=alice)
    successor, _ = rotate_api_key(key=rotated, by=alice, grace_seconds=3600)
    revoked, _ = issue_api_key(environment=development, name="x", by=alice)
    revoke_api_key(key=revoked, by=alice, reason="leaked")
    unrevoked = set(ApiKey.objects.unrevoked())
    assert unrevoked == {expired, rotated, successor}


def test_use_and_expiry_filters(development, alice):
    now = timezone.now()
    never, _ = issue_api_key(environment=development, name="never", by=alice)
    stale, _ = issue_api_key(
        environment=development, name="stale", by=alice, expires_at=now + timedelta(days=3)
    )
    fresh, _ = issue_api_key(
        environment=development, name="fresh", by=alice, expires_at=now + timedelta(days=30)
    )
    ApiKey.objects.filter(pk=stale.pk).update(last_used_at=now - timedelta(days=40))
    ApiKey.objects.filter(pk=fresh.pk).update(last_used_at=now - timedelta(days=1))
    keys = ApiKey.objects.all()
    assert list(keys.never_used()) == [never]
    assert set(keys.unused_since(now - timedelta(days=30))) == {never, stale}
    assert list(keys.expiring_within(timedelta(days=7))) == [stale]
    assert list(keys.without_expiry()) == [never]
    assert list(keys.filtered(use="unused30", expiry="soon")) == [stale]
    assert list(keys.filtered(q=fresh.public_id)) == [fresh]


def test_only_an_active_key_never_rotated_is_rotatable(development, alice):
    key, _ = issue_api_key(environment=development, name="k", by=alice)
    assert key.is_rotatable
    successor, _ = rotate_api_key(key=key, by=alice, grace_seconds=3600)
    key.refresh_from_db()
    assert key.is_usable and not key.is_rotatable  # still works, in its grace window
    assert successor.is_rotatable
    successor.expires_at = timezone.now() - timedelta(seconds=1)
    assert not successor.is_rotatable


def test_a_key_issues_nothing_beyond_its_own(development, alice):
    caller, _ = issue_api_key(
        environment=development,
        name="caller",
        by=alice,
        manage=True,
        expires_at=timezone.now() + timedelta(days=10),
        allowed_ips=["10.0.0.0/8"],
    )
    within = {"expires_at": caller.expires_at, "allowed_ips": ["10.1.0.0/16"]}
    check_may_issue(caller, permissions=["read", "manage"], **within)
    with pytest.raises(BeyondIssuer, match="cannot grant what it lacks: write"):
        check_may_issue(caller, permissions=["write"], **within)
    with pytest.raises(BeyondIssuer, match="cannot give a key more time"):
        check_may_issue(caller, permissions=[], expires_at=None, allowed_ips=["10.1.0.0/16"])
    with pytest.raises(BeyondIssuer, match="more of them"):
        check_may_issue(caller, permissions=[], expires_at=caller.expires_at, allowed_ips=[])


def test_a_member_grants_manage_only_if_the_role_does(acme, alice, bob):
    admin = Membership.objects.get(organization=acme, user=alice)
    member = Membership.objects.get(organization=acme, user=bob)
    check_may_issue(admin, permissions=["manage"])
    check_may_issue(member, permissions=["read", "write"])
    with pytest.raises(PermissionDenied, match="Only admins may issue a key with manage"):
        check_may_issue(member, permissions=["manage"])


def test_permission_columns_invert_permissions():
    assert permission_columns(["read", "manage"]) == {"can_write": False, "can_manage": True}
    assert permission_columns([]) == {"can_write": False, "can_manage": False}
