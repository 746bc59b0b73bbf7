"""The append-only, hash-chained audit log.

This app imports none of the others: it names their models by string and takes the objects
it records duck-typed (anything with a pk and a name).
"""

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

GENESIS_HASH = "0" * 64
USER_AGENT_MAX = 512
PAGE_SIZE = 50
# Events older than this many days may be pruned (`prune_audit_events`); None keeps them all.
DEFAULT_RETENTION_DAYS = 365
# Anything shaped like a Keydesk key (checksum or not): never written to an event.
KEY_LIKE_RE = re.compile(r"kd_(?:live|test)_[0-9A-Za-z]{8,}")


class Action(models.TextChoices):
    SIGN_UP = "sign_up", "Signed up"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Signed out"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PROJECT_CREATED = "project_created", "Project created"
    PROJECT_DELETED = "project_deleted", "Project deleted"
    ENVIRONMENT_CREATED = "environment_created", "Environment created"
    ENVIRONMENT_DELETED = "environment_deleted", "Environment deleted"
    PROJECT_RENAMED = "project_renamed", "Project renamed"
    PROJECT_ARCHIVED = "project_archived", "Project archived"
    ENVIRONMENT_RENAMED = "environment_renamed", "Environment renamed"
    ENVIRONMENT_ARCHIVED = "environment_archived", "Environment archived"
    KEY_CREATED = "key_created", "Key created"
    KEY_UPDATED = "key_updated", "Key updated"
    KEY_ROTATED = "key_rotated", "Key rotated"
    KEY_REVOKED = "key_revoked", "Key revoked"
    KEY_EXPIRED = "key_expired", "Key expired"
    MEMBER_ADDED = "member_added", "Member added"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    AUDIT_EXPORTED = "audit_exported", "Audit log exported"
    AUDIT_PRUNED = "audit_pruned", "Old audit events pruned"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a recorded event."""


def retention_days():
    """The `AUDIT_RETENTION_DAYS` setting: days an event is kept at least (None: forever)."""
    return getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, and the cursors of the pages either side."""

    events: list
    newer: int | None = None  # `after=` cursor of the page of newer events, if any
    older: int | None = None  # `before=` cursor of the page of older events, if any

    @property
    def is_first(self):
        return self.newer is None


class AuditEventQuerySet(models.QuerySet):
    # The chain is the record: nothing rewrites it, and nothing appends around record().
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are never updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are never deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events are never updated.")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("Audit events are appended one by one with record().")

    def for_organization(self, organization):
        return self.filter(organization=organization)

    def chain(self, organization_id):
        """One chain, oldest first: an organization's, or (None) the events with none."""
        if organization_id is None:
            return self.filter(organization__isnull=True).order_by("id")
        return self.filter(organization_id=organization_id).order_by("id")

    def by_actor(self, token):
        """`user:<pk>`, `apikey:<key id>`, or a bare kind (`system`, `anonymous`)."""
        kind, _, actor_id = token.partition(":")
        events = self.filter(actor_kind=kind)
        return events.filter(actor_id=actor_id) if actor_id else events

    def matching(
        self,
        *,
        actor="",
        action="",
        project=None,
        environment=None,
        key="",
        since=None,
        until=None,
        q="",
    ):
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

    def page(self, *, before=None, after=None, size=PAGE_SIZE):
        """Keyset pagination on the id, newest first: one indexed range scan however deep.

        `before` gives the page of events older than that id, `after` the page just newer.
        """
        events = self.select_related("project", "environment")
        if after is not None:
            rows = list(events.filter(id__gt=after).order_by("id")[: size + 1])
            if len(rows) <= size:  # nothing newer beyond: that is the first page
                return self.page(size=size)
            rows = rows[:size][::-1]
            return EventPage(rows, newer=rows[0].pk, older=rows[-1].pk)
        if before is not None:
            events = events.filter(id__lt=before)
        rows = list(events.order_by("-id")[: size + 1])
        older = rows[size - 1].pk if len(rows) > size else None
        rows = rows[:size]
        newer = rows[0].pk if before is not None and rows else None
        return EventPage(rows, newer=newer, older=older)


def start_of_day(day):
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

    def __str__(self):
        return self.chain

    @staticmethod
    def name_for(organization_id):
        return "none" if organization_id is None else f"org:{organization_id}"

    @classmethod
    def for_organization(cls, organization_id):
        """The chain's head, if anything was ever recorded in it."""
        return cls.objects.filter(chain=cls.name_for(organization_id)).first()

    @classmethod
    def verify(cls, organization_id, *, by):
        """Walk the chain now and keep the outcome on its head; return the head."""
        report = check_chain(organization_id)
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
    def verified_intact(self):
        return self.verified_at is not None and not self.verified_problem


VERIFICATION_FIELDS = (
    "verified_at",
    "verified_by",
    "verified_events",
    "verified_through",
    "verified_problem",
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
    project = models.ForeignKey(
        "environments.Project",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    environment = models.ForeignKey(
        "environments.Environment",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
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

    def __str__(self):
        return f"{self.get_action_display()} · {self.target_name or self.actor_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are never deleted.")

    def content(self):
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

    def as_record(self):
        """The event as an export line: its content, its id and its two hashes. Anyone can
        recheck a line: SHA-256(prev_hash + canonical JSON of the content) == hash."""
        return {"id": self.pk, **self.content(), "prev_hash": self.prev_hash, "hash": self.hash}

    @property
    def actor_token(self):
        """The actor as the review page's `actor` filter names it."""
        return f"{self.actor_kind}:{self.actor_id}" if self.actor_id else self.actor_kind

    @property
    def actor_label(self):
        if self.actor_kind == "anonymous":
            return f"{self.actor_name} (not signed in)" if self.actor_name else "anonymous"
        return self.actor_name or self.actor_kind

    @property
    def changes(self):
        """(field, before, after) rows when the metadata records a change, else []."""
        before, after = self.metadata.get("before"), self.metadata.get("after")
        if not isinstance(before, dict) or not isinstance(after, dict):
            return []
        return [(f, _shown(before.get(f)), _shown(after.get(f))) for f in sorted(before | after)]

    @property
    def metadata_json(self):
        return json.dumps(self.metadata, indent=2, sort_keys=True, ensure_ascii=False)


def _shown(value):
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def canonical_bytes(content) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _describe_actor(actor):
    if actor is None:
        return "system", "", "system"
    if getattr(actor, "is_anonymous", False):
        return "anonymous", "", ""
    if hasattr(actor, "get_username"):
        return "user", str(actor.pk), actor.get_username()
    return actor._meta.model_name, str(getattr(actor, "public_id", actor.pk)), str(actor)


def client_ip(request):
    """REMOTE_ADDR, or what the configured number of trusted proxies saw; normalised (the
    database hands an address back in its canonical form, and the hash must match it)."""
    raw = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            raw = hops[-proxies]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d: name them as IPv4.
    return str(getattr(address, "ipv4_mapped", None) or address)


def _client(request):
    if request is None:
        return None, ""
    return client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]


def redact(value):
    """`value` with anything shaped like a key masked, through lists and dicts."""
    if isinstance(value, str):
        return KEY_LIKE_RE.sub(lambda m: m.group(0)[:8] + "[redacted]", value)
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def new_event(
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
    """An unsaved event, as record() describes it, still without its place in the chain."""
    actor_kind, actor_id, name = _describe_actor(actor)
    ip, user_agent = _client(request)
    target_name = str(getattr(target, "name", target)) if target is not None else ""
    return AuditEvent(
        organization_id=getattr(organization, "pk", organization),
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        actor_name=redact(actor_name if actor_name is not None else name)[:200],
        target_kind=target._meta.model_name if target is not None else "",
        target_id=str(getattr(target, "public_id", getattr(target, "pk", "")) or ""),
        target_name=redact(target_name)[:200],
        project_id=getattr(project, "pk", project),
        environment_id=getattr(environment, "pk", environment),
        ip=ip,
        user_agent=redact(user_agent)[:USER_AGENT_MAX],
        # As the JSON column will hand it back (tuples become lists, ...), so the hash
        # computed now is the hash recomputed from the stored row.
        metadata=redact(json.loads(json.dumps(metadata or {}))),
    )


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
    no account (the attempted username of a failed sign-in). Anything shaped like a key is
    masked before it is written.
    """
    event = new_event(
        action=action,
        organization=organization,
        actor=actor,
        target=target,
        project=project,
        environment=environment,
        request=request,
        metadata=metadata,
        actor_name=actor_name,
    )
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            chain=ChainHead.name_for(event.organization_id)
        )
        # Stamped under the lock, so time runs forward along the chain.
        event.created_at = timezone.now()
        event.prev_hash = head.last_hash
        event.hash = event.compute_hash()
        event.save()
        ChainHead.objects.filter(pk=head.pk).update(last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking one chain."""

    events: int  # how many were checked
    through: int | None  # the id of the newest event checked
    problem: str = ""  # empty when the chain holds
    broken_event: int | None = None

    @property
    def intact(self):
        return not self.problem


def _walk(organization_id):
    chain = AuditEvent.objects.chain(organization_id)
    # A pruned chain starts after the hash that its newest checkpoint carries.
    checkpoint = (
        chain.filter(action=Action.AUDIT_PRUNED)
        .order_by("-id")
        .values_list("metadata", flat=True)
        .first()
    )
    expected_prev = (checkpoint or {}).get("last_pruned_hash", GENESIS_HASH)
    count, through = 0, None
    for event in chain.iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            problem = "does not follow the event before it (removed or reordered)"
            return ChainReport(count, through, f"event {event.pk}: {problem}", event.pk)
        if event.compute_hash() != event.hash:
            problem = "its content does not match its hash (altered)"
            return ChainReport(count, through, f"event {event.pk}: {problem}", event.pk)
        count, through, expected_prev = count + 1, event.pk, event.hash
    # The head, read after the walk, ends on its last event, or on one appended since.
    head_hash = (
        ChainHead.objects.filter(chain=ChainHead.name_for(organization_id))
        .values_list("last_hash", flat=True)
        .first()
    )
    if head_hash is None:
        problem = "the chain head is missing (its row was removed)" if count else ""
        return ChainReport(count, through, problem)
    if head_hash == expected_prev or chain.filter(hash=head_hash, id__gt=through or 0).exists():
        return ChainReport(count, through)
    if chain.filter(hash=head_hash).exists():
        problem = "the chain head points back to an older event (rewound)"
        return ChainReport(count, through, problem)
    problem = "the newest events are missing: the chain head ends on a hash no event has"
    return ChainReport(count, through, problem)


def check_chain(organization_id):
    """Walk one chain oldest first and report whether it holds, and where it breaks."""
    report = _walk(organization_id)
    if not report.intact:
        # An append or a prune that committed between the walk's reads looks like a break
        # once; a real break is there the second time too.
        report = _walk(organization_id)
    return report


def verify_chain(organization_id):
    """Walk one chain oldest first. Return None if it holds, else what is broken and where."""
    return check_chain(organization_id).problem or None


def chain_ids():
    """Every chain that has events: organization ids, with None for the unaffiliated chain."""
    ids = set(AuditEvent.objects.order_by().values_list("organization_id", flat=True).distinct())
    return sorted(ids, key=lambda i: (i is not None, i or 0))


@dataclass(frozen=True)
class Pruned:
    events: int
    last_pruned_id: int
    checkpoint: AuditEvent | None  # None on a dry run


def prune_chain(organization_id, *, older_than, dry_run=False):
    """Delete the oldest stretch of one chain: the events recorded before `older_than`, up to
    the first newer one. A checkpoint event carrying the last pruned hash is appended in the
    same transaction, so what remains still verifies. None if there is nothing to prune.
    """
    with transaction.atomic():
        # The appends' lock: nothing joins the chain while its start is cut.
        ChainHead.objects.select_for_update().get_or_create(
            chain=ChainHead.name_for(organization_id)
        )
        chain = AuditEvent.objects.chain(organization_id)
        first_kept = chain.filter(created_at__gte=older_than).values_list("id", flat=True)
        first_kept = first_kept.first()
        doomed = chain if first_kept is None else chain.filter(id__lt=first_kept)
        last = doomed.order_by("-id").only("id", "hash").first()
        if last is None:
            return None
        count = doomed.count()
        if dry_run:
            return Pruned(count, last.pk, None)
        checkpoint = record(
            action=Action.AUDIT_PRUNED,
            organization=organization_id,
            metadata={
                "last_pruned_hash": last.hash,
                "last_pruned_id": last.pk,
                "pruned_events": count,
                "older_than": older_than.isoformat(),
            },
        )
        deleted = _delete_through(organization_id, last.pk)
        if deleted != count:  # cannot happen under the head lock; never leave half a prune
            raise AppendOnlyError(f"Pruning expected {count} events, found {deleted}.")
    return Pruned(count, last.pk, checkpoint)


def _delete_through(organization_id, last_id):
    """The one place that deletes events. On PostgreSQL the table's trigger refuses any
    DELETE unless this transaction says it is a prune."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    org = "organization_id IS NULL" if organization_id is None else "organization_id = %s"
    params = [last_id] if organization_id is None else [organization_id, last_id]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL keydesk.audit_prune = 'on'")
        cursor.execute(f"DELETE FROM {table} WHERE {org} AND id <= %s", params)  # noqa: S608
        deleted = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL keydesk.audit_prune = 'off'")
    return deleted


def prune_cutoff(days, now=None):
    return (now or timezone.now()) - timedelta(days=days)


def chains_to_check(organization_slug=None):
    """The commands' chains: one organization's (by slug), else every chain that has events."""
    if not organization_slug:
        return chain_ids()
    # By name: audit imports no other app.
    organizations = apps.get_model("environments", "Organization").objects
    organization = organizations.filter(slug=organization_slug).first()
    if organization is None:
        raise LookupError(f"No organization {organization_slug!r}.")
    return [organization.pk]
