import threading

import pytest
from django.db import connection, connections

from audit.chain import record, verify_chain
from audit.models import Action, AuditEvent

WRITERS = 8
EACH = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_leave_one_intact_chain(acme, globex, alice):
    """Writers on their own connections append at once, to two chains: neither forks.

    On PostgreSQL the chain head's row lock serialises them; on SQLite (a file, in tests
    too) each transaction begins IMMEDIATE, taking the database's write lock.
    """
    start = threading.Barrier(WRITERS)
    failures = []

    def write(n):
        try:
            start.wait()
            for i in range(EACH):
                organization = acme if (n + i) % 3 else globex
                record(action=Action.SIGN_IN, organization=organization, metadata={"w": n, "i": i})
        except Exception as error:  # reported below, with the thread it came from
            failures.append((n, error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert AuditEvent.objects.filter(action=Action.SIGN_IN).count() == WRITERS * EACH
    for organization in (acme, globex):
        chain = list(AuditEvent.objects.chain(organization.pk))
        # No two events claim the same predecessor: the chain did not fork.
        assert len({e.prev_hash for e in chain}) == len(chain)
        assert verify_chain(organization.pk) is None
    assert connection.vendor in ("postgresql", "sqlite")
