import itertools
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import GENESIS_HASH, Action, AppendOnlyError, AuditEvent, record, verify_chain


@pytest.fixture
def events(acme, alice):
    """Five events in Acme's chain (sign-up was the first)."""
    for n in range(4):
        record(action=Action.SIGN_IN, organization=acme, actor=alice, metadata={"n": n})
    return list(AuditEvent.objects.chain(acme.pk))


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_links_each_event_to_the_one_before(events):
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in events}) == len(events)


def test_an_intact_chain_verifies(events, acme):
    assert verify_chain(acme.pk) is None
    call_command("verify_audit_chain")


def test_it_catches_an_edited_row(events, acme):
    raw("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", events[2].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[2].pk}:")
    with pytest.raises(CommandError, match=f"event {events[2].pk}"):
        call_command("verify_audit_chain")


def test_it_catches_edited_metadata(events, acme):
    raw("UPDATE audit_auditevent SET metadata = %s WHERE id = %s", ['{"n": 99}', events[1].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[1].pk}:")


def test_it_catches_a_deleted_row(events, acme):
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    assert verify_chain(acme.pk).startswith(f"event {events[3].pk}:")


def test_it_catches_the_newest_row_deleted(events, acme):
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    assert "newest events are missing" in verify_chain(acme.pk)


def test_it_catches_reordered_rows(events, acme):
    a, b = events[1], events[2]
    raw("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["swapping", a.pk])
    for event, other in ((b, a), (a, b)):
        raw(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, metadata = %s WHERE id = %s",
            [other.prev_hash, other.hash, json.dumps({"n": other.metadata["n"]}), event.pk],
        )
    assert verify_chain(acme.pk) is not None


def test_it_names_the_organization_to_check(events, acme, globex):
    raw("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", events[2].pk])
    call_command("verify_audit_chain", organization=globex.slug)
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", organization=acme.slug)


def test_events_without_an_organization_form_their_own_chain(acme, alice):
    first = record(action=Action.SIGN_IN_FAILED, actor_name="nobody")
    second = record(action=Action.SIGN_IN_FAILED, actor_name="nobody-else")
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert verify_chain(None) is None


def test_events_cannot_be_changed_or_removed_through_the_application(events):
    event = events[0]
    event.actor_name = "mallory"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="mallory")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "alice"


def test_it_records_who_and_where(acme, alice, rf):
    request = rf.get("/", HTTP_USER_AGENT="x" * 600, REMOTE_ADDR="203.0.113.9")
    event = record(action=Action.SIGN_IN, organization=acme, actor=alice, request=request)
    assert (event.actor_kind, event.actor_id, event.actor_name) == ("user", str(alice.pk), "alice")
    assert event.ip == "203.0.113.9"
    assert len(event.user_agent) == 512
