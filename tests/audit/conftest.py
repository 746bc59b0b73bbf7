import contextlib
from unittest import mock

import pytest
from django.db import connection

from audit.chain import record
from audit.models import Action


def tamper(sql, params=()):
    """Change the table by hand, as someone with the database's password could: on
    PostgreSQL that means switching the append-only trigger off first (the owner may)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks still pending would block the ALTER.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


@contextlib.contextmanager
def clock(moment):
    """Record events as if at `moment` (record() stamps them with timezone.now())."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def sign_ins(organization, user, count, **fields):
    return [
        record(action=Action.SIGN_IN, organization=organization, actor=user, **fields)
        for _ in range(count)
    ]


@pytest.fixture
def login(client):
    def login(user):
        client.force_login(user)
        return client

    return login
