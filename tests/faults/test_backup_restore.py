"""The backup drill of the README's "Backups" section, on PostgreSQL: pg_dump, restore into a
fresh database, and the restored copy is whole (audit chains intact, keys verify as before)."""

import json
import os
import subprocess
import uuid

import pytest

from keys.models import issue_api_key, revoke_api_key
from tests.server import PG_BIN, database_url, get, gunicorn, manage

pytestmark = [
    pytest.mark.process,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a PostgreSQL drill: runs in the PostgreSQL leg of the suite",
    ),
]


def run(*command):
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def test_a_dump_restores_into_a_fresh_database_that_verifies(development, alice, tmp_path):
    _, valid = issue_api_key(environment=development, name="kept", by=alice, write=True)
    revoked, revoked_plaintext = issue_api_key(environment=development, name="gone", by=alice)
    revoke_api_key(key=revoked, by=alice, reason="leaked")

    source = database_url()
    fresh = f"keydesk_restore_{uuid.uuid4().hex[:8]}"
    server = source.rsplit("/", 1)[0]
    dump = tmp_path / "keydesk.dump"
    run(str(PG_BIN / "pg_dump"), "--format=custom", "--no-owner", "--file", str(dump), source)
    run(str(PG_BIN / "psql"), f"{server}/postgres", "-X", "-q", "-c", f"CREATE DATABASE {fresh}")
    try:
        restored = f"{server}/{fresh}"
        run(str(PG_BIN / "pg_restore"), "--no-owner", "--exit-on-error", "-d", restored, str(dump))

        output = manage("verify_audit_chain", database_url=restored)
        assert "chain(s) verified" in output
        assert "intact" in output

        with gunicorn(workers=1, env={"DATABASE_URL": restored}) as (base, _):
            status, _, body = get(base + "/v1/auth/verify", {"Authorization": f"Bearer {valid}"})
            assert status == 200
            assert json.loads(body)["key"]["name"] == "kept"
            status, _, body = get(
                base + "/v1/auth/verify", {"Authorization": f"Bearer {revoked_plaintext}"}
            )
            assert status == 401
            assert json.loads(body)["error"]["code"] == "revoked_api_key"
    finally:
        run(
            str(PG_BIN / "psql"),
            f"{server}/postgres",
            "-X",
            "-q",
            "-c",
            f"DROP DATABASE IF EXISTS {fresh} WITH (FORCE)",
        )
