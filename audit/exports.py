"""Events as CSV or JSON Lines, one line at a time: memory stays flat at any size."""

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import record
from audit.models import Action, AuditEvent

CHUNK_SIZE = 2000

CSV_COLUMNS = (
    "id",
    "created_at",
    "organization",
    "action",
    "actor_kind",
    "actor_id",
    "actor_name",
    "target_kind",
    "target_id",
    "target_name",
    "project",
    "environment",
    "ip",
    "user_agent",
    "metadata",
    "prev_hash",
    "hash",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _flat(event: AuditEvent) -> list[object]:
    record = event.as_record()
    actor_kind, actor_id, actor_name = record.pop("actor")
    target_kind, target_id, target_name = record.pop("target")
    record |= {
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "target_kind": target_kind,
        "target_id": target_id,
        "target_name": target_name,
        "metadata": json.dumps(record["metadata"], sort_keys=True, ensure_ascii=False),
    }
    return [_cell(record[column]) for column in CSV_COLUMNS]


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow(_flat(event))


def jsonl_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """One JSON object per line, exactly as recorded: each line can be rechecked against
    its hash (`SHA-256(prev_hash + canonical JSON of the line without id and hashes)`)."""
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        yield json.dumps(event.as_record(), ensure_ascii=False, separators=(",", ":")) + "\n"


FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "jsonl": ("application/jsonl; charset=utf-8", jsonl_lines),
}


def export(
    *,
    organization: Any,
    fmt: str,
    filters: dict[str, Any],
    by: Any,
    request: HttpRequest | None = None,
) -> Iterator[str]:
    """The lines, in `fmt`, of every event of `organization` that `filters` select
    (`AuditEventQuerySet.matching`'s), newest first.

    The export is recorded first; it then covers the events before its own, so the event
    says exactly which set left the building."""
    exported = record(
        action=Action.AUDIT_EXPORTED,
        organization=organization,
        actor=by,
        target=organization,
        request=request,
        metadata={"format": fmt, "filters": {name: str(value) for name, value in filters.items()}},
    )
    events = AuditEvent.objects.for_organization(organization).matching(**filters)
    _, lines = FORMATS[fmt]
    return lines(events.filter(id__lt=exported.pk).order_by("-id"))


def filename(organization: Any, fmt: str) -> str:
    """The export's file name: whose events, and when they left."""
    return f"keydesk-audit-{organization.slug}-{timezone.now():%Y%m%dT%H%M%SZ}.{fmt}"
