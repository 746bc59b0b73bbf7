import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def check_deploy(**env):
    # A production machine's environment: none of the variables the suite sets for itself.
    environment = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = check_deploy(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        KEY_HASH_SECRET=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="keydesk.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_flags_the_development_secrets():
    result = check_deploy(DEBUG="false", ALLOWED_HOSTS="keydesk.example.com")
    assert result.returncode != 0
    assert "keys.W001" in result.stderr + result.stdout
    assert "security.W009" in result.stderr + result.stdout
