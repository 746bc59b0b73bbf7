"""Revocation and log hygiene with real gunicorn workers, separate processes."""

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from keys.models import issue_api_key
from tests.server import ROOT, database_url, get, gunicorn

pytestmark = [pytest.mark.process, pytest.mark.django_db(transaction=True)]


def verify_many(base, key, count=60):
    headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: get(base + "/v1/auth/verify", headers), range(count)))


def pids(log_text, since=0):
    return set(
        re.findall(r"/v1/auth/verify HTTP/1.1\" \d+ \d+ [\d.]+s pid=<(\d+)>", log_text[since:])
    )


def test_a_key_revoked_by_another_process_fails_on_every_worker(development, alice):
    key, plaintext = issue_api_key(environment=development, name="hot", by=alice)
    with gunicorn(workers=2) as (base, log):
        before = verify_many(base, plaintext)
        assert {status for status, _, _ in before} == {200}

        # Revoked by the command line: a process that shares nothing with the workers.
        subprocess.run(
            [sys.executable, "manage.py", "revoke_api_key", key.public_id, "--reason", "leak"],
            cwd=ROOT,
            env={"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()},
            check=True,
            capture_output=True,
        )
        mark = len(log.read_text())
        after = verify_many(base, plaintext)
        codes = {json.loads(body)["error"]["code"] for _, _, body in after}
        assert {status for status, _, _ in after} == {401}
        assert codes == {"revoked_api_key"}
        assert len(pids(log.read_text(), mark)) == 2, "both workers must have answered"


def test_gunicorns_log_keeps_no_key_and_no_query_string(development, alice):
    _, plaintext = issue_api_key(environment=development, name="k", by=alice)
    with gunicorn(workers=1) as (base, log):
        status, _, body = get(f"{base}/v1/auth/verify?api_key={plaintext}")
        assert status == 400
        assert json.loads(body)["error"]["code"] == "api_key_in_url"
        get(f"{base}/{plaintext}", {"Authorization": f"Bearer {plaintext}"})
    text = log.read_text()
    assert '"GET /v1/auth/verify HTTP/1.1" 400' in text
    assert plaintext not in text
    assert plaintext[8:30] not in text
    assert "api_key=" not in text
