"""Bursts of failed sign-ins and of refused requests are recorded (and so alerted) once a
burst, not once a request: counted in the shared cache."""

import pytest
from django.core.management import call_command

from audit.models import Action, AuditEvent
from keys.models import issue_api_key


def sign_in(client, username, password, address):
    return client.post(
        "/accounts/login/", {"login": username, "password": password}, REMOTE_ADDR=address
    )


def test_failed_sign_ins_for_one_username_make_one_burst(client, alice, acme, settings):
    settings.SIGN_IN_FAILURE_BURST = 3
    for n in range(5):  # from several addresses, under the lockout of any one of them
        sign_in(client, "alice", "wrong", f"198.51.100.{n % 2 + 1}")

    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() == 5
    burst = AuditEvent.objects.get(action=Action.SIGN_IN_FAILURES)
    assert burst.organization_id == acme.pk
    assert burst.metadata == {"username": "alice", "failures": 3, "window_seconds": 300}
    assert burst.ip == "198.51.100.1"

    # Another username's failures are counted apart.
    sign_in(client, "bob", "wrong", "198.51.100.3")
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILURES).count() == 1


def test_refusals_for_one_key_make_one_burst(client, development, alice, settings):
    settings.KEY_REFUSAL_BURST = 4
    key, plaintext = issue_api_key(
        environment=development, name="fenced", by=alice, allowed_ips=["10.0.0.0/8"]
    )
    _, other_text = issue_api_key(environment=development, name="fine", by=alice)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    for _ in range(6):
        assert client.get("/v1/auth/verify", **auth).status_code == 403
    for _ in range(3):  # another key's refusals are its own
        response = client.get(
            "/v1/auth/verify?permissions=write", HTTP_AUTHORIZATION=f"Bearer {other_text}"
        )
        assert response.status_code == 403

    burst = AuditEvent.objects.get(action=Action.KEY_REFUSALS)
    assert burst.target_id == key.public_id
    assert burst.metadata["refusals"] == 4
    assert burst.metadata["last"] == {"status": 403, "code": "ip_not_allowed"}
    assert plaintext not in str(burst.as_record())


def test_a_verified_request_records_nothing_of_the_kind(client, api_key, settings):
    settings.KEY_REFUSAL_BURST = 1
    _, plaintext = api_key
    response = client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action=Action.KEY_REFUSALS).exists()


@pytest.mark.django_db(transaction=True)
def test_a_burst_is_emailed_to_the_admins(client, alice, development, settings, mailoutbox):
    settings.ALERT_EMAILS = True
    settings.KEY_REFUSAL_BURST = 2
    _, plaintext = issue_api_key(environment=development, name="limited", by=alice, rate_limit=1)
    for _ in range(4):
        client.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    call_command("db_worker", batch=True, startup_delay=False, interval=0)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [alice.email]
    assert "is being refused" in mailoutbox[0].subject
    assert "429 rate_limited" in mailoutbox[0].body
    assert plaintext not in mailoutbox[0].body
