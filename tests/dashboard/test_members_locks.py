"""What removing a member holds its locks for, and in which order it takes them."""

import threading
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections

import keys.models
from audit.models import Action, AuditEvent
from dashboard.members import remove_member
from environments.models import Membership
from keys.models import ApiKey, Status, issue_api_key, revoke_api_key


def session_for(user):
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.create()
    return session.session_key


def test_sessions_end_once_the_removal_commits(alice, bob, django_capture_on_commit_callbacks):
    """Finding them decodes every session: not while the organization is locked."""
    bobs = session_for(bob)
    with django_capture_on_commit_callbacks() as callbacks:
        remove_member(membership=Membership.objects.get(user=bob), by=alice)
    assert SessionStore().exists(bobs)
    for callback in callbacks:
        callback()
    assert not SessionStore().exists(bobs)


def blocked_on_a_lock(seconds=5):
    """Wait until some transaction waits for a lock (True), or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:  # pg_locks is read live, even in a transaction
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_removing_a_member_while_the_api_revokes_their_key(alice, bob, development, monkeypatch):
    """No deadlock: the API holds a key's row, then wants the audit chain's head and (on
    commit, to check the event's foreign key) the organization's row; the removal, holding
    the organization, must not take the head before that key's row, nor block the check.

    SQLite takes one write lock for the whole database: there, nothing to show."""
    older, _ = issue_api_key(environment=development, name="bob laptop", by=bob)
    newer, _ = issue_api_key(environment=development, name="bob ci", by=bob)
    api_holds_the_key = threading.Event()
    failures = []
    record = keys.models._record

    def record_once_the_removal_waits(*args, **kwargs):
        # The API's revocation has updated its key's row: it records only once the
        # removal is blocked on a lock, the moment a deadlock would form.
        if threading.current_thread().name == "api":
            api_holds_the_key.set()
            blocked_on_a_lock()
        return record(*args, **kwargs)

    monkeypatch.setattr(keys.models, "_record", record_once_the_removal_waits)

    def api():
        revoke_api_key(key=older, by=newer, reason="revoked through the API")

    def removal():
        api_holds_the_key.wait(5)
        remove_member(membership=Membership.objects.get(user=bob), by=alice)

    def run(work):
        try:
            work()
        except Exception as error:  # reported below, with the thread it came from
            failures.append((threading.current_thread().name, error))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(api,), name="api"),
        threading.Thread(target=run, args=(removal,), name="removal"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert not Membership.objects.filter(user=bob).exists()
    assert {k.status for k in ApiKey.objects.filter(pk__in=[older.pk, newer.pk])} == {
        Status.REVOKED
    }
    revocations = AuditEvent.objects.filter(action=Action.KEY_REVOKED)
    assert sorted(revocations.values_list("target_id", flat=True)) == sorted(
        [older.public_id, newer.public_id]
    )
    removed = AuditEvent.objects.get(action=Action.MEMBER_REMOVED)
    assert removed.metadata["revoked_keys"] == [newer.public_id]
