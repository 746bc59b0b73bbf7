"""Events nobody's request causes, recorded by the task worker: `key_expiring` 7 days and 1
day ahead, `key_expired` when a key's time is up, and the daily `audit_checkpoint`. Each is
recorded once (a conditional update or a check under the chain lock decides), so running this
twice, or on two workers, sends nothing twice."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from audit.chain import record_checkpoints
from audit.models import Action
from keys.models import ApiKey, _jsonable, _record, record_expiry

# Days ahead, nearest first: a key already inside a day gets that notice alone, not both.
NOTICES = (1, 7)
INTERVAL = timedelta(hours=1)


def record_expiring(*, now: datetime) -> int:
    recorded = 0
    for days in NOTICES:
        due = (
            ApiKey.objects.exclude(revoked_at__lte=now)
            .filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=days))
            .filter(Q(expiry_notice__isnull=True) | Q(expiry_notice__gt=days))
            .select_related("environment__project")
        )
        for key in due:
            with transaction.atomic():
                pending = Q(expiry_notice__isnull=True) | Q(expiry_notice__gt=days)
                if not ApiKey.objects.filter(pending, pk=key.pk).update(expiry_notice=days):
                    continue
                _record(
                    key,
                    Action.KEY_EXPIRING,
                    by=None,
                    request=None,
                    days_ahead=days,
                    expires_at=_jsonable(key.expires_at),
                )
                recorded += 1
    return recorded


def record_expired(*, now: datetime) -> int:
    expired = list(
        ApiKey.objects.exclude(revoked_at__lte=now)
        .filter(expires_at__lte=now, expiry_recorded=False)
        .values_list("pk", flat=True)
    )
    for pk in expired:
        record_expiry(pk)
    return len(expired)


def run_scheduled_events(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "expiring": record_expiring(now=now),
        "expired": record_expired(now=now),
        "checkpoints": record_checkpoints(now=now),
    }


@task()
def scheduled_events() -> None:
    """Runs the scheduled events, then queues itself again an hour on."""
    run_scheduled_events()
    scheduled_events.using(run_after=timezone.now() + INTERVAL).enqueue()
