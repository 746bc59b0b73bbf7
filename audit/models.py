"""The append-only, hash-chained audit log.

This app imports none of the others: it names their models by string and takes the objects
it records duck-typed (anything with a pk and a name).
"""

import hashlib
import json

from django.db import models, transaction
from django.utils import timezone

GENESIS_HASH = "0" * 64
USER_AGENT_MAX = 512


class Action(models.TextChoices):
    SIGN_UP = "sign_up", "Signed up"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Signed out"
    PROJECT_CREATED = "project_created", "Project created"
    PROJECT_DELETED = "project_deleted", "Project deleted"
    ENVIRONMENT_CREATED = "environment_created", "Environment created"
    ENVIRONMENT_DELETED = "environment_deleted", "Environment deleted"
    KEY_CREATED = "key_created", "Key created"
    KEY_UPDATED = "key_updated", "Key updated"
    KEY_ROTATED = "key_rotated", "Key rotated"
    KEY_REVOKED = "key_revoked", "Key revoked"
    KEY_EXPIRED = "key_expired", "Key expired"
    MEMBER_ADDED = "member_added", "Member added"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a recorded event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are never updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are never deleted.")

    def for_organization(self, organization):
        return self.filter(organization=organization)

    def chain(self, organization_id):
        """One chain, oldest first: an organization's, or (None) the events with none."""
        if organization_id is None:
            return self.filter(organization__isnull=True).order_by("id")
        return self.filter(organization_id=organization_id).order_by("id")


class ChainHead(models.Model):
    """The last hash of one chain. Appends lock this row, so a chain never forks."""

    # "org:<id>", or "none" for the events that belong to no organization.
    chain = models.CharField(max_length=40, unique=True)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return self.chain

    @staticmethod
    def name_for(organization_id):
        return "none" if organization_id is None else f"org:{organization_id}"


class AuditEvent(models.Model):
    organization = models.ForeignKey(
        "environments.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # Who: a user, a key, or the system (a management command). Names are kept as they were.
    actor_kind = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)

    # What it was done to, by kind, id and name at the time.
    target_kind = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=200, blank=True)

    # Where: ids stay readable after the project or environment is gone.
    project = models.ForeignKey(
        "environments.Project",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    environment = models.ForeignKey(
        "environments.Environment",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organization", "-id"], name="audit_org_newest")]

    def __str__(self):
        return f"{self.get_action_display()} · {self.target_name or self.actor_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are never deleted.")

    def canonical(self) -> bytes:
        """The event's recorded content, as stable bytes: what the hash covers."""
        return json.dumps(
            {
                "organization": self.organization_id,
                "action": self.action,
                "created_at": self.created_at.isoformat(),
                "actor": [self.actor_kind, self.actor_id, self.actor_name],
                "target": [self.target_kind, self.target_id, self.target_name],
                "project": self.project_id,
                "environment": self.environment_id,
                "ip": self.ip,
                "user_agent": self.user_agent,
                "metadata": self.metadata,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.canonical()).hexdigest()


def _describe_actor(actor):
    if actor is None:
        return "system", "", "system"
    if getattr(actor, "is_anonymous", False):
        return "anonymous", "", ""
    if hasattr(actor, "get_username"):
        return "user", str(actor.pk), actor.get_username()
    return actor._meta.model_name, str(getattr(actor, "public_id", actor.pk)), str(actor)


def _client(request):
    if request is None:
        return None, ""
    ip = request.META.get("REMOTE_ADDR") or None
    return ip, request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]


def record(
    *,
    action,
    organization=None,
    actor=None,
    target=None,
    project=None,
    environment=None,
    request=None,
    metadata=None,
    actor_name=None,
):
    """Append one event to its organization's chain, inside the caller's transaction.

    `actor` is a user, a key, or None for the system. `actor_name` names an actor that has
    no account (the attempted username of a failed sign-in).
    """
    actor_kind, actor_id, name = _describe_actor(actor)
    ip, user_agent = _client(request)
    organization_id = getattr(organization, "pk", organization)
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            chain=ChainHead.name_for(organization_id)
        )
        event = AuditEvent(
            organization_id=organization_id,
            action=action,
            actor_kind=actor_kind,
            actor_id=actor_id,
            actor_name=(actor_name if actor_name is not None else name)[:200],
            target_kind=target._meta.model_name if target is not None else "",
            target_id=str(getattr(target, "public_id", getattr(target, "pk", "")) or ""),
            target_name=str(getattr(target, "name", target) if target is not None else "")[:200],
            project_id=getattr(project, "pk", project),
            environment_id=getattr(environment, "pk", environment),
            ip=ip,
            user_agent=user_agent,
            metadata=metadata or {},
            prev_hash=head.last_hash,
        )
        # Normalise metadata as the JSON column will return it (tuples become lists, ...),
        # so the hash computed now is the hash recomputed from the stored row.
        event.metadata = json.loads(json.dumps(event.metadata))
        event.hash = event.compute_hash()
        event.save()
        ChainHead.objects.filter(pk=head.pk).update(last_hash=event.hash)
    return event


def verify_chain(organization_id):
    """Walk one chain oldest first. Return None if it holds, else what is broken and where."""
    expected_prev = GENESIS_HASH
    for event in AuditEvent.objects.chain(organization_id).iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return f"event {event.pk}: does not follow the event before it (removed or reordered)"
        if event.compute_hash() != event.hash:
            return f"event {event.pk}: its content does not match its hash (altered)"
        expected_prev = event.hash
    head = ChainHead.objects.filter(chain=ChainHead.name_for(organization_id)).first()
    if head is not None and head.last_hash != expected_prev:
        return "the newest events are missing: the chain head ends on a hash no event has"
    return None


def chain_ids():
    """Every chain that has events: organization ids, with None for the unaffiliated chain."""
    ids = set(AuditEvent.objects.order_by().values_list("organization_id", flat=True).distinct())
    return sorted(ids, key=lambda i: (i is not None, i or 0))
