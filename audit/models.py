"""The append-only, hash-chained audit log: its events and the heads of its chains.

Appending, checking and pruning a chain are in `audit.chain`; masking in `audit.masking`.
This app imports none of the others: it names their models by string and takes the objects
it records duck-typed (anything with a pk and a name).
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.requests import USER_AGENT_MAX
from config.pagination import Keyset

if TYPE_CHECKING:
    from audit.chain import ChainReport

GENESIS_HASH = "0" * 64


class Action(models.TextChoices):
    SIGN_UP = "sign_up", "Signed up"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Signed out"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    TWO_FACTOR_ADDED = "two_factor_added", "Two-factor method added"
    TWO_FACTOR_REMOVED = "two_factor_removed", "Two-factor method removed"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Recovery codes regenerated"
    SSO_CONNECTED = "sso_connected", "Sign-in provider connected"
    SSO_DISCONNECTED = "sso_disconnected", "Sign-in provider disconnected"
    ORGANIZATION_UPDATED = "organization_updated", "Organization settings changed"
    PROJECT_CREATED = "project_created", "Project created"
    PROJECT_DELETED = "project_deleted", "Project deleted"
    ENVIRONMENT_CREATED = "environment_created", "Environment created"
    ENVIRONMENT_DELETED = "environment_deleted", "Environment deleted"
    PROJECT_RENAMED = "project_renamed", "Project renamed"
    PROJECT_ARCHIVED = "project_archived", "Project archived"
    ENVIRONMENT_RENAMED = "environment_renamed", "Environment renamed"
    ENVIRONMENT_ARCHIVED = "environment_archived", "Environment archived"
    ENVIRONMENT_TAGS_CHANGED = "environment_tags_changed", "Environment tags changed"
    KEY_CREATED = "key_created", "Key created"
    KEY_UPDATED = "key_updated", "Key updated"
    KEY_ROTATED = "key_rotated", "Key rotated"
    KEY_REVOKED = "key_revoked", "Key revoked"
    KEY_EXPIRED = "key_expired", "Key expired"
    KEY_LEAKED = "key_leaked", "Key reported leaked and revoked"
    KEY_EXPIRING = "key_expiring", "Key expiring soon"
    KEY_REFUSALS = "key_refusals", "Burst of refused requests for a key"
    SIGN_IN_FAILURES = "sign_in_failures", "Burst of failed sign-ins"
    MEMBER_ADDED = "member_added", "Member added"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    AUDIT_EXPORTED = "audit_exported", "Audit log exported"
    AUDIT_PRUNED = "audit_pruned", "Old audit events pruned"
    AUDIT_CHECKPOINT = "audit_checkpoint", "Daily chain checkpoint"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a recorded event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    # The chain is the record: nothing rewrites it, and nothing appends around record().
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are never updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events are never deleted.")

    def bulk_update(
        self, objs: Iterable["AuditEvent"], fields: Iterable[str], batch_size: int | None = None
    ) -> NoReturn:
        raise AppendOnlyError("Audit events are never updated.")

    def bulk_create(self, objs: Iterable["AuditEvent"], *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are appended one by one with record().")

    def for_organization(self, organization: models.Model | int) -> Self:
        return self.filter(organization=organization)

    def chain(self, organization_id: int | None) -> Self:
        """One chain, oldest first: an organization's, or (None) the events with none."""
        if organization_id is None:
            return self.filter(organization__isnull=True).order_by("id")
        return self.filter(organization_id=organization_id).order_by("id")

    def by_actor(self, token: str) -> Self:
        """`user:<pk>`, `apikey:<key id>`, or a bare kind (`system`, `anonymous`)."""
        kind, _, actor_id = token.partition(":")
        events = self.filter(actor_kind=kind)
        return events.filter(actor_id=actor_id) if actor_id else events

    def matching(
        self,
        *,
        actor: str = "",
        action: str = "",
        project: int | None = None,
        environment: int | None = None,
        key: str = "",
        since: date | None = None,
        until: date | None = None,
        q: str = "",
    ) -> Self:
        """The events that pass the review page's filters; every filter has its index.

        `since` and `until` are dates, both included (whole days, in the current time zone);
        `q` searches target names, case-insensitively.
        """
        events = self
        if actor:
            events = events.by_actor(actor)
        if action:
            events = events.filter(action=action)
        if project:
            events = events.filter(project_id=project)
        if environment:
            events = events.filter(environment_id=environment)
        if key:
            events = events.filter(target_kind="apikey", target_id=key)
        if since:
            events = events.filter(created_at__gte=start_of_day(since))
        if until:
            events = events.filter(created_at__lt=start_of_day(until + timedelta(days=1)))
        if q:
            events = events.filter(target_name__icontains=q)
        return events


# The review page's order, newest first: every index in AuditEvent.Meta ends with the id.
NEWEST_FIRST = Keyset("audit", ("id",))


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ChainHead(models.Model):
    """The last hash of one chain, and the outcome of its last verification.

    Appends lock this row, so a chain never forks.
    """

    # "org:<id>", or "none" for the events that belong to no organization.
    chain = models.CharField(max_length=40, unique=True)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=200, blank=True)
    verified_events = models.PositiveIntegerField(null=True, blank=True)
    verified_through = models.BigIntegerField(null=True, blank=True)  # newest event checked
    verified_problem = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.chain

    @staticmethod
    def name_for(organization_id: int | None) -> str:
        return "none" if organization_id is None else f"org:{organization_id}"

    @classmethod
    def for_organization(cls, organization_id: int | None) -> "ChainHead | None":
        """The chain's head, if anything was ever recorded in it."""
        return cls.objects.filter(chain=cls.name_for(organization_id)).first()

    @classmethod
    def keep_verification(
        cls, organization_id: int | None, report: "ChainReport", *, by: str
    ) -> "ChainHead":
        """Keep a walk's outcome (audit.chain's ChainReport) on the chain's head; return it."""
        head = cls.for_organization(organization_id)
        if head is None:  # nothing recorded yet (or the row is gone: the report says so)
            head = cls(chain=cls.name_for(organization_id), last_hash="")
        head.verified_at = timezone.now()
        head.verified_by = by[:200]
        head.verified_events = report.events
        head.verified_through = report.through
        head.verified_problem = report.problem[:500]
        if head.pk is not None:
            # Never `last_hash`: an append may have moved it since this row was read.
            head.save(update_fields=VERIFICATION_FIELDS)
        return head

    @property
    def verified_intact(self) -> bool:
        return self.verified_at is not None and not self.verified_problem


VERIFICATION_FIELDS = (
    "verified_at",
    "verified_by",
    "verified_events",
    "verified_through",
    "verified_problem",
)


def _place(model: str) -> models.ForeignKey[Any, Any]:
    """A reference to where an event happened that outlives it: no constraint, no cascade."""
    return models.ForeignKey(
        model,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # AuditEvent's indexes lead with the organization, then this
        related_name="+",
    )


class AuditEvent(models.Model):
    organization = models.ForeignKey(
        "environments.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        db_index=False,  # every index below starts with it
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    created_at = models.DateTimeField(default=timezone.now)

    # Who: a user, a key, or the system (a management command). Names are kept as they were.
    actor_kind = models.CharField(max_length=20)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)

    # What it was done to, by kind, id and name at the time.
    target_kind = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=200, blank=True)

    # Where: ids stay readable after the project or environment is gone.
    project = _place("environments.Project")
    environment = _place("environments.Environment")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # Newest first within one organization, alone or under one filter: each index serves
        # an equality filter followed by the id keyset, so any page is one range scan.
        # (On PostgreSQL a trigram index serves the target-name search: migration 0002.)
        indexes = [
            models.Index(fields=["organization", "-id"], name="audit_org_newest"),
            models.Index(fields=["organization", "action", "-id"], name="audit_org_action"),
            models.Index(
                fields=["organization", "actor_kind", "actor_id", "-id"], name="audit_org_actor"
            ),
            models.Index(fields=["organization", "project", "-id"], name="audit_org_project"),
            models.Index(fields=["organization", "environment", "-id"], name="audit_org_env"),
            models.Index(
                fields=["organization", "target_kind", "target_id", "-id"],
                name="audit_org_target",
            ),
            models.Index(fields=["organization", "created_at"], name="audit_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.target_name or self.actor_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are never deleted.")

    def content(self) -> dict[str, Any]:
        """The event's recorded content: what the hash covers, and what an export carries."""
        return {
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
        }

    def canonical(self) -> bytes:
        """The content as stable bytes."""
        return canonical_bytes(self.content())

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + self.canonical()).hexdigest()

    def as_record(self) -> dict[str, Any]:
        """The event as an export line: its content, its id and its two hashes. Anyone can
        recheck a line: SHA-256(prev_hash + canonical JSON of the content) == hash."""
        return {"id": self.pk, **self.content(), "prev_hash": self.prev_hash, "hash": self.hash}

    @property
    def actor_token(self) -> str:
        """The actor as the review page's `actor` filter names it."""
        return f"{self.actor_kind}:{self.actor_id}" if self.actor_id else self.actor_kind

    @property
    def actor_label(self) -> str:
        if self.actor_kind == "anonymous":
            return f"{self.actor_name} (not signed in)" if self.actor_name else "anonymous"
        return self.actor_name or self.actor_kind

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """(field, before, after) rows when the metadata records a change, else []."""
        before, after = self.metadata.get("before"), self.metadata.get("after")
        if not isinstance(before, dict) or not isinstance(after, dict):
            return []
        return [(f, _shown(before.get(f)), _shown(after.get(f))) for f in sorted(before | after)]

    @property
    def metadata_json(self) -> str:
        return json.dumps(self.metadata, indent=2, sort_keys=True, ensure_ascii=False)


def _shown(value: object) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def canonical_bytes(content: object) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


# Webhooks hang off the audit log (DESIGN.md section 14): a delivery is made for an event.
# The sending lives in audit/webhooks.py.
EVENT_TYPES: dict[str, str] = {
    Action.KEY_CREATED: "key.created",
    Action.KEY_UPDATED: "key.updated",
    Action.KEY_ROTATED: "key.rotated",
    Action.KEY_REVOKED: "key.revoked",
    Action.KEY_LEAKED: "key.leaked",
    Action.KEY_EXPIRED: "key.expired",
    Action.KEY_EXPIRING: "key.expiring",
    Action.AUDIT_CHECKPOINT: "audit.checkpoint",
    Action.MEMBER_ADDED: "member.added",
    Action.ROLE_CHANGED: "member.role_changed",
    Action.MEMBER_REMOVED: "member.removed",
}
WEBHOOK_EVENT_TYPES = sorted(EVENT_TYPES.values())


class WebhookQuerySet(models.QuerySet["Webhook"]):
    def for_organization(self, organization: models.Model | int | None) -> Self:
        return self.filter(organization=organization)

    def subscribed_to(self, event_type: str) -> list["Webhook"]:
        """Active webhooks that asked for `event_type` (SQLite has no JSON contains: in Python)."""
        return [w for w in self.filter(is_active=True) if event_type in w.events]


class Webhook(models.Model):
    organization = models.ForeignKey(
        "environments.Organization", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    # Standard Webhooks' `whsec_…`: kept, since every delivery is signed with it.
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # No constraint: pruning old events must not be held up by their deliveries.
    event = models.ForeignKey(
        AuditEvent, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    message_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.webhook_id}"
