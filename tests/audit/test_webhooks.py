"""Webhooks (DESIGN.md section 14): the settings page, SSRF refusals, and deliveries to a
receiver started here on 127.0.0.1, checked with the `standardwebhooks` package, through the
real task worker (`manage.py db_worker`)."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from standardwebhooks import Webhook as Verifier

from audit.models import WEBHOOK_EVENT_TYPES, DeliveryStatus, Webhook, WebhookDelivery
from audit.webhooks import UnsafeURL, check_url
from keys.models import issue_api_key, revoke_api_key

UNSAFE = [
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://localhost/hook",  # a name that resolves to loopback
    "http://203.0.113.9/hook",  # not https
    "ftp://files.example/hook",
]


@pytest.mark.parametrize("url", UNSAFE)
def test_private_and_plain_http_endpoints_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(UnsafeURL):
        check_url(url)


def test_the_form_refuses_an_unsafe_endpoint(client, alice, acme, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    client.force_login(alice)
    response = client.post(
        "/settings/webhooks/new/", {"url": "https://169.254.169.254/", "events": ["key.created"]}
    )
    assert response.status_code == 422
    assert "non-public address" in response.content.decode()
    assert not Webhook.objects.exists()


def test_a_member_cannot_see_or_add_webhooks(client, bob):
    client.force_login(bob)
    assert client.get("/settings/webhooks/").status_code == 403
    assert client.post("/settings/webhooks/new/", {"url": "https://x.example"}).status_code == 403


class Receiver:
    """An endpoint on 127.0.0.1 that fails the first `failures` requests with 500."""

    def __init__(self, failures=0):
        self.failures = failures
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = 500 if len(receiver.requests) <= receiver.failures else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks/keydesk"

    def __enter__(self):
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.http.shutdown()
        self.http.server_close()


def create_webhook(client, url, events=None):
    """Through the page, as an admin would; returns (webhook, secret shown once)."""
    data = {"url": url, "events": events or WEBHOOK_EVENT_TYPES}  # the form checks them all
    response = client.post("/settings/webhooks/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()
    html = response.content.decode()
    assert 'closedby="none"' in html and "data-locked" in html  # the copy gate
    secret = re.search(r'value="(whsec_[^"]+)"', html).group(1)
    return Webhook.objects.get(), secret


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, interval=0)


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_RETRY_DELAYS = [0]
    return settings


@pytest.mark.django_db(transaction=True)
def test_an_audit_event_is_delivered_signed_and_without_the_key(
    client, alice, development, private_ok
):
    client.force_login(alice)
    with Receiver() as receiver:
        webhook, secret = create_webhook(client, receiver.url)
        assert secret not in client.get(f"/settings/webhooks/{webhook.pk}/").content.decode()
        key, plaintext = issue_api_key(environment=development, name="deploys", by=alice)
        run_worker()

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    message = Verifier(secret).verify(body, headers)
    assert message["type"] == "key.created"
    assert message["data"]["target"]["id"] == key.public_id
    assert message["data"]["metadata"]["hint"] == key.hint
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert headers["webhook-id"] == delivery.message_id
    for text in (body.decode(), json.dumps(delivery.payload), delivery.error):
        assert plaintext not in text
        assert plaintext[8:-6] not in text

    with pytest.raises(Exception, match=r"[Ss]ignature"):
        Verifier("whsec_" + "A" * 43 + "=").verify(body, headers)


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_retried_until_it_succeeds(client, alice, development, private_ok):
    client.force_login(alice)
    with Receiver(failures=2) as receiver:
        _, secret = create_webhook(client, receiver.url, events=["key.revoked"])
        key, _ = issue_api_key(environment=development, name="deploys", by=alice)  # not asked
        revoke_api_key(key=key, by=alice, reason="done")
        run_worker()

    assert len(receiver.requests) == 3
    assert len({headers["webhook-id"] for headers, _ in receiver.requests}) == 1
    for headers, body in receiver.requests:
        assert Verifier(secret).verify(body, headers)["type"] == "key.revoked"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 3, 204)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_to_an_address_no_longer_allowed_is_refused_unsent(
    client, alice, development, private_ok
):
    client.force_login(alice)
    with Receiver() as receiver:
        webhook, _ = create_webhook(client, receiver.url)
        private_ok.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
        private_ok.WEBHOOK_RETRY_DELAYS = [3600]  # one refusal, then a retry for later
        issue_api_key(environment=development, name="deploys", by=alice)
        run_worker()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.error.startswith("refused: Only https")
    page = client.get(f"/settings/webhooks/{webhook.pk}/").content.decode()
    assert "refused: Only https" in page and "Redeliver" in page


@pytest.mark.django_db(transaction=True)
def test_redeliver_sends_the_same_message_again(client, alice, development, private_ok):
    client.force_login(alice)
    with Receiver() as receiver:
        webhook, secret = create_webhook(client, receiver.url)
        issue_api_key(environment=development, name="deploys", by=alice)
        run_worker()
        delivery = WebhookDelivery.objects.get()
        response = client.post(
            f"/settings/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver/"
        )
        assert response.status_code == 302
        run_worker()

    assert len(receiver.requests) == 2
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"]
    assert Verifier(secret).verify(receiver.requests[1][1], receiver.requests[1][0])


def test_another_organization_cannot_reach_a_webhook(client, alice, acme, charlie, globex):
    webhook = Webhook.objects.create(organization=acme, url="https://x.example/", secret="s")
    client.force_login(charlie)
    assert client.get(f"/settings/webhooks/{webhook.pk}/").status_code == 404
    assert "x.example" not in client.get("/settings/webhooks/").content.decode()
