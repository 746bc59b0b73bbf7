"""Scheduled events: `key.expiring` 7 days and 1 day ahead, `key.expired`, the daily
`audit.checkpoint`, each recorded (and so delivered) once, run by the task worker."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import Action, AuditEvent, ChainHead
from keys.models import ApiKey, issue_api_key, update_api_key
from keys.scheduled import run_scheduled_events


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def make_expiring(environment, alice, name, delta):
    key, _ = issue_api_key(environment=environment, name=name, by=alice)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() + delta)
    return key


def test_each_notice_is_recorded_once(development, alice, globex_environment):
    six_days = make_expiring(development, alice, "six days", timedelta(days=6))
    half_day = make_expiring(development, alice, "half a day", timedelta(hours=12))
    ten_days = make_expiring(development, alice, "ten days", timedelta(days=10))
    gone = make_expiring(development, alice, "gone", -timedelta(minutes=1))

    assert run_scheduled_events() == {"expiring": 2, "expired": 1, "checkpoints": 2}

    expiring = {(e.target_id, e.metadata["days_ahead"]) for e in events(Action.KEY_EXPIRING)}
    assert expiring == {(six_days.public_id, 7), (half_day.public_id, 1)}
    assert [e.target_id for e in events(Action.KEY_EXPIRED)] == [gone.public_id]
    checkpoints = events(Action.AUDIT_CHECKPOINT)
    assert {e.organization_id for e in checkpoints} == {
        development.project.organization_id,
        globex_environment.project.organization_id,
    }
    for event in checkpoints:
        head = ChainHead.for_organization(event.organization_id)
        assert event.metadata["head_hash"] == event.prev_hash  # the head before the checkpoint
        assert head.last_hash == event.hash

    # Again, the same day: nothing new.
    assert run_scheduled_events() == {"expiring": 0, "expired": 0, "checkpoints": 0}

    # Five days on: the six-day key's 1-day notice, the ten-day key's 7-day one, the half-day
    # key has expired, and it is another day for the checkpoints.
    later = timezone.now() + timedelta(days=5, hours=1)
    assert run_scheduled_events(now=later) == {"expiring": 2, "expired": 1, "checkpoints": 2}
    expiring = {(e.target_id, e.metadata["days_ahead"]) for e in events(Action.KEY_EXPIRING)}
    assert {(six_days.public_id, 1), (ten_days.public_id, 7)} < expiring
    assert events(Action.KEY_EXPIRED)[-1].target_id == half_day.public_id


def test_a_new_expiry_is_announced_again(development, alice):
    key = make_expiring(development, alice, "moved", timedelta(days=3))
    run_scheduled_events()
    key.refresh_from_db()
    update_api_key(key=key, by=alice, changes={"expires_at": timezone.now() + timedelta(days=5)})
    run_scheduled_events()
    assert [e.metadata["days_ahead"] for e in events(Action.KEY_EXPIRING)] == [7, 7]


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_them_and_queues_the_next_run(development, alice):
    from django_tasks_db.models import DBTaskResult

    make_expiring(development, alice, "soon", timedelta(days=2))
    out = io.StringIO()
    call_command("schedule_events", stdout=out)
    assert "queued" in out.getvalue()
    call_command("db_worker", batch=True, startup_delay=False, interval=0)

    assert len(events(Action.KEY_EXPIRING)) == 1
    waiting = DBTaskResult.objects.filter(
        task_path="keys.scheduled.scheduled_events", status="READY"
    )
    assert waiting.count() == 1
    assert waiting.get().run_after > timezone.now() + timedelta(minutes=50)
