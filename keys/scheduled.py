"""Events nobody's request causes, recorded by the task worker: `key_expiring` 7 days and 1
day ahead, `key_expired` when a key's time is up, and the daily `audit_checkpoint`. Each is
recorded once (a conditional update or a check under the chain lock decides), so running this
twice, or on two workers, sends nothing twice."""

from datetime import datetime, timedelta

from django.tasks import task
from django.utils import timezone

from audit.chain import record_checkpoints
from keys.models import EXPIRY_NOTICES, ApiKey, announce_expiry, record_expiry

INTERVAL = timedelta(hours=1)


def record_expiring(*, now: datetime) -> int:
    return sum(
        announce_expiry(key, days)
        for days in EXPIRY_NOTICES
        for key in ApiKey.objects.to_announce(days, now=now)
    )


def record_expired(*, now: datetime) -> int:
    expired = list(ApiKey.objects.expired_unrecorded(now=now).values_list("pk", flat=True))
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
