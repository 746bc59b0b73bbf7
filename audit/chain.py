"""The audit chain: appending an event, walking a chain to check it, pruning its start.

Every event of an organization follows the one before it (`prev_hash`); the chain's head
(`ChainHead`) holds the last hash, and appends lock it, so a chain never forks.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.masking import redact
from audit.models import (
    GENESIS_HASH,
    Action,
    AppendOnlyError,
    AuditEvent,
    ChainHead,
    start_of_day,
)
from audit.requests import USER_AGENT_MAX, client

DEFAULT_RETENTION_DAYS = 365


def retention_days() -> int | None:
    """`AUDIT_RETENTION_DAYS`: an event is kept at least this many days; then
    `prune_audit_events` may delete it (0, or None, keeps every event)."""
    days: int | None = getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    return days


def _describe_actor(actor: Any) -> tuple[str, str, str]:
    if actor is None:
        return "system", "", "system"
    if getattr(actor, "is_anonymous", False):
        return "anonymous", "", ""
    if hasattr(actor, "get_username"):
        return "user", str(actor.pk), actor.get_username()
    return actor._meta.model_name, str(getattr(actor, "public_id", actor.pk)), str(actor)


# An organization, a project or an environment, or its id (audit imports no other app).
type Ref = models.Model | int | None


def new_event(
    *,
    action: str,
    organization: Ref = None,
    actor: Any = None,
    target: Any = None,
    project: Ref = None,
    environment: Ref = None,
    request: HttpRequest | None = None,
    metadata: dict[str, Any] | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """An unsaved event, as record() describes it, still without its place in the chain."""
    actor_kind, actor_id, name = _describe_actor(actor)
    ip, user_agent = client(request)
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


def record(**fields: Any) -> AuditEvent:
    """Append one event to its organization's chain, inside the caller's transaction.

    `fields` are new_event's: `actor` is a user, a key, or None for the system; `actor_name`
    names an actor that has no account (the attempted username of a failed sign-in). Anything
    shaped like a key is masked before it is written.
    """
    event = new_event(**fields)
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
    from audit.webhooks import on_event  # the sending side imports this module

    on_event(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking one chain."""

    events: int  # how many were checked
    through: int | None  # the id of the newest event checked
    problem: str = ""  # empty when the chain holds
    broken_event: int | None = None

    @property
    def intact(self) -> bool:
        return not self.problem


def _walk(organization_id: int | None) -> ChainReport:
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


def check_chain(organization_id: int | None) -> ChainReport:
    """Walk one chain oldest first and report whether it holds, and where it breaks."""
    report = _walk(organization_id)
    if not report.intact:
        # An append or a prune that committed between the walk's reads looks like a break
        # once; a real break is there the second time too.
        report = _walk(organization_id)
    return report


def verify_chain(organization_id: int | None) -> str | None:
    """Walk one chain oldest first. Return None if it holds, else what is broken and where."""
    return check_chain(organization_id).problem or None


def chain_ids() -> list[int | None]:
    """Every chain that has events: organization ids, with None for the unaffiliated chain."""
    ids = set(AuditEvent.objects.order_by().values_list("organization_id", flat=True).distinct())
    return sorted(ids, key=lambda i: (i is not None, i or 0))


@dataclass(frozen=True)
class Pruned:
    events: int
    last_pruned_id: int
    checkpoint: AuditEvent | None  # None on a dry run


def prune_chain(
    organization_id: int | None, *, older_than: datetime, dry_run: bool = False
) -> Pruned | None:
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
        kept = chain.filter(created_at__gte=older_than).values_list("id", flat=True)
        first_kept = kept.first()
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


def _delete_through(organization_id: int | None, last_id: int) -> int:
    """The one place that deletes events. On PostgreSQL the table's trigger refuses any
    DELETE unless this transaction says it is a prune."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    org = "organization_id IS NULL" if organization_id is None else "organization_id = %s"
    params = [last_id] if organization_id is None else [organization_id, last_id]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL keydesk.audit_prune = 'on'")
        cursor.execute(f"DELETE FROM {table} WHERE {org} AND id <= %s", params)  # noqa: S608
        deleted: int = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL keydesk.audit_prune = 'off'")
    return deleted


def prune_cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def chains_to_check(organization_slug: str | None = None) -> list[int | None]:
    """The commands' chains: one organization's (by slug), else every chain that has events."""
    if not organization_slug:
        return chain_ids()
    # By name: audit imports no other app.
    organizations = apps.get_model("environments", "Organization").objects
    organization = organizations.filter(slug=organization_slug).first()
    if organization is None:
        raise LookupError(f"No organization {organization_slug!r}.")
    return [organization.pk]


def verify_and_keep(organization_id: int | None, *, by: str) -> ChainHead:
    """Walk the chain now and keep the outcome on its head; return the head."""
    return ChainHead.keep_verification(organization_id, check_chain(organization_id), by=by)


def record_checkpoints(*, now: datetime | None = None) -> int:
    """Once a day, an `audit_checkpoint` event in each organization's chain carrying its head
    hash, so a copy of it (a webhook, an export) lives outside the database."""
    now = now or timezone.now()
    recorded = 0
    for head in ChainHead.objects.filter(chain__startswith="org:").order_by("id"):
        organization_id = int(head.chain.removeprefix("org:"))
        with transaction.atomic():
            head = ChainHead.objects.select_for_update().get(pk=head.pk)  # one at a time
            done = AuditEvent.objects.filter(
                organization_id=organization_id,
                action=Action.AUDIT_CHECKPOINT,
                created_at__gte=start_of_day(timezone.localdate(now)),
            )
            if done.exists():
                continue
            record(
                action=Action.AUDIT_CHECKPOINT,
                organization=organization_id,
                metadata={"chain": head.chain, "head_hash": head.last_hash},
            )
            recorded += 1
    return recorded
