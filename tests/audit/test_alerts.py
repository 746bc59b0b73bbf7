"""Security alerts by email to the organization's admins, sent by the task worker."""

import subprocess
import sys

import pytest
from django.core.management import call_command

from audit.alerts import admin_emails
from environments.models import Role
from keys.leaks import revoke_leaked
from keys.models import issue_api_key
from tests.conftest import join
from tests.server import ROOT


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, interval=0)


@pytest.mark.django_db(transaction=True)
def test_a_leaked_key_is_emailed_to_every_admin(
    acme, alice, bob, development, settings, mailoutbox
):
    settings.ALERT_EMAILS = True
    second_admin = join(acme, "dora", Role.ADMIN)
    key, plaintext = issue_api_key(environment=development, name="deploys", by=bob)

    revoke_leaked(plaintexts=[plaintext], source="find_keys", where="ci/build.log:12")
    assert mailoutbox == []  # the worker sends it, not the request
    run_worker()

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == [alice.email, second_admin.email]  # not bob, a member
    assert key.hint in mail.subject and "leaked and revoked" in mail.subject
    assert "ci/build.log:12" in mail.body and key.public_id in mail.body
    assert "no longer works" in mail.body
    assert plaintext not in mail.subject + mail.body
    assert plaintext[8:-6] not in mail.subject + mail.body


@pytest.mark.django_db(transaction=True)
def test_no_alert_without_email_configured(alice, development, settings, mailoutbox):
    settings.ALERT_EMAILS = False
    _, plaintext = issue_api_key(environment=development, name="deploys", by=alice)
    revoke_leaked(plaintexts=[plaintext], source="public report")
    run_worker()
    assert mailoutbox == []


def test_only_active_admins_with_an_address_are_written_to(acme, alice, bob):
    silent = join(acme, "eve", Role.ADMIN)
    silent.email = ""
    silent.save()
    gone = join(acme, "finn", Role.ADMIN)
    gone.is_active = False
    gone.save()
    assert admin_emails(acme.pk) == [alice.email]


def email_settings(**env):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "m = getattr(s, 'MAILERS', {}).get('default', {}); o = m.get('OPTIONS', {}); "
        "print(m.get('BACKEND'), s.ALERT_EMAILS, o.get('host'), o.get('use_tls'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def test_email_url_configures_smtp_and_debug_uses_the_console():
    assert email_settings(EMAIL_URL="smtp+tls://u:p@smtp.example.com:587") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "True",
        "smtp.example.com",
        "True",
    ]
    assert email_settings(DEBUG="true")[:2] == [
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]
    assert email_settings() == ["None", "False", "None", "None"]
