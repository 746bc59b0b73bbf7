"""An organization's members: add, change a role, remove.

Each change and its audit event share one transaction, taken under a lock on the
organization's row, so two admins acting at once can never leave it without an admin.
"""

import secrets
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_SESSION_KEY
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import Action
from dashboard.models import OneTimePassword
from environments.models import Membership, MembershipQuerySet, Organization, Role, add_membership
from keys.models import ApiKey, ApiKeyQuerySet, owner_removed, owner_role_changed

# No look-alikes (0/O, 1/l/I): the password is read off a screen and handed over.
READABLE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_GROUPS, PASSWORD_GROUP_LENGTH = 4, 5  # 20 characters, about 115 random bits


class LastAdminError(Exception):
    """The change would leave the organization without an admin."""

    def __init__(self, membership: Membership) -> None:
        super().__init__(
            f"{membership.user.get_username()} is the last admin of "
            f"{membership.organization.name}. Make another member an admin first."
        )


@dataclass(frozen=True)
class Removal:
    username: str
    revoked_keys: list[str]


def one_time_password() -> str:
    """A random password for a new account, in groups of five (`abcde-fghij-…`)."""
    groups = (
        "".join(secrets.choice(READABLE_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def _lock(organization_id: int, by: User) -> MembershipQuerySet:
    """Serialise member changes in one organization; the actor must still be its admin.
    Returns the organization's memberships.

    `no_key`: the lock still excludes another member change, but not the foreign-key checks
    of rows that point at the organization (an audit event recorded meanwhile)."""
    Organization.objects.select_for_update(no_key=True).get(pk=organization_id)
    memberships = Membership.objects.for_organization(organization_id)
    if not memberships.admins().filter(user=by).exists():
        raise PermissionDenied("Only an admin can change members.")
    return memberships


def _read_under_lock(membership: Membership, by: User) -> Membership:
    """A fresh copy of `membership` read under the lock (it may have changed or gone)."""
    memberships = _lock(membership.organization_id, by)
    return memberships.select_related("user", "organization").get(pk=membership.pk)


def add_member(
    *,
    organization: Organization,
    username: str,
    email: str = "",
    role: str = Role.MEMBER,
    by: User,
    request: HttpRequest | None = None,
) -> tuple[Membership, str]:
    """Create an account with a random password and make it a member.

    Returns (membership, password): the password is stored only as its hash and is
    returned this once, to be handed over; it goes nowhere else (not the audit event)."""
    password = one_time_password()
    with transaction.atomic():
        _lock(organization.pk, by)
        user = User(username=username, email=email)
        user.set_password(password)
        user.save()
        OneTimePassword.objects.create(user=user)  # they choose their own at first sign-in
        membership = add_membership(
            organization=organization,
            user=user,
            role=role,
            by=by,
            request=request,
            account="created",
        )
    return membership, password


def change_role(
    *, membership: Membership, role: str, by: User, request: HttpRequest | None = None
) -> Membership:
    """Give a member another role. Raises LastAdminError rather than demote the last admin.
    Their personal keys follow the role down (keys/models.py `owner_role_changed`)."""
    with transaction.atomic():
        membership = _read_under_lock(membership, by)
        before = membership.role
        if before == role:
            return membership
        if role != Role.ADMIN and membership.is_last_admin:
            raise LastAdminError(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        revoked, narrowed = owner_role_changed(membership, by=by, request=request)
        membership.record_event(
            Action.ROLE_CHANGED,
            by=by,
            request=request,
            before=before,
            after=role,
            revoked_keys=revoked,
            keys_without_manage=narrowed,
        )
    return membership


def remove_member(
    *, membership: Membership, by: User, request: HttpRequest | None = None
) -> Removal:
    """Take a member out of the organization, with everything they hold in it.

    Their personal keys in this organization are revoked (keys/models.py `owner_removed`);
    every session of theirs ends; an account left in no organization is deactivated. Raises
    LastAdminError rather than remove the last admin.

    Sessions end once the removal commits: finding them decodes every session, too slow to
    do under the organization's lock, and the removal has already cut the member's access."""
    with transaction.atomic():
        membership = _read_under_lock(membership, by)
        if membership.is_last_admin:
            raise LastAdminError(membership)
        user, organization = membership.user, membership.organization
        membership.delete()
        revoked = owner_removed(user=user, organization=organization, by=by, request=request)
        transaction.on_commit(lambda: end_sessions(user))
        if not Membership.objects.filter(user=user).exists():
            # An account in no organization can do nothing but wait: keep it from signing in.
            User.objects.filter(pk=user.pk).update(is_active=False)
        membership.record_event(
            Action.MEMBER_REMOVED,
            by=by,
            request=request,
            role=membership.role,
            revoked_keys=revoked,
        )
    return Removal(user.get_username(), revoked)


def personal_keys(user: User, organization: Organization | int) -> ApiKeyQuerySet:
    """The user's personal keys in the organization that are not revoked yet."""
    return ApiKey.objects.for_organization(organization).personal_of(user)


def end_sessions(user: User) -> int:
    """Delete every stored session signed in as `user`; return how many.

    Sessions are not indexed by user, so each live one is decoded: fine for an admin action
    that is rare. Engines with no table (signed cookies, cache) cannot be searched; there the
    deactivation of an account left in no organization is what ends its sessions."""
    engine = import_module(settings.SESSION_ENGINE)
    model = getattr(engine.SessionStore, "get_model_class", None)
    if model is None:
        return 0
    user_id = str(user.pk)
    ended = 0
    live = model().objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get(AUTH_USER_SESSION_KEY)) == user_id:
            engine.SessionStore(session_key=session.session_key).delete()
            ended += 1
    return ended
