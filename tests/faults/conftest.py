import contextlib

from django.db import connection

from tests.server import free_port


@contextlib.contextmanager
def database_unreachable():
    """The real driver failing to reach the database: pointed at a port where nothing listens
    (PostgreSQL) or a file in no directory (SQLite), then put back."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/keydesk.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@contextlib.contextmanager
def read_only_database():
    """The database still answers reads but refuses every write (a full disk, a standby)."""
    on, off = (
        ("PRAGMA query_only = ON", "PRAGMA query_only = OFF")
        if connection.vendor == "sqlite"
        else ("SET default_transaction_read_only = on", "SET default_transaction_read_only = off")
    )
    with connection.cursor() as cursor:
        cursor.execute(on)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(off)


@contextlib.contextmanager
def locked_key_row(key_pk):
    """Another client holding the write lock a key's usage write needs, on its own connection."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            if other.vendor == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            else:
                cursor.execute("BEGIN")
                cursor.execute("SELECT id FROM keys_apikey WHERE id = %s FOR UPDATE", [key_pk])
        yield
    finally:
        with other.cursor() as cursor:
            cursor.execute("ROLLBACK")
        other.close()
