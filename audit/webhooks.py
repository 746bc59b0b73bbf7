"""Webhook deliveries (DESIGN.md section 14): an audit event, once committed, is sent to the
organization's webhooks that asked for its type, signed the Standard Webhooks way.

Endpoints must be https on public addresses (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS): checked
when a webhook is created and again at every delivery, where the name is resolved, every
address checked, and the connection made to a checked address (so a DNS answer that changes
in between cannot point it inside). Redirects are never followed. A failed delivery is tried
again with growing delays for 24 hours, by the task worker (`manage.py db_worker`).
"""

import base64
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from standardwebhooks import Webhook as Signer

from audit import alerts
from audit.models import EVENT_TYPES, AuditEvent, DeliveryStatus, Webhook, WebhookDelivery

RETRY_WINDOW = timedelta(hours=24)
# Seconds before each retry; the last one repeats until the window closes.
RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
TIMEOUT = 10


class UnsafeURL(ValueError):
    """An endpoint Keydesk will not send to; the message says why."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def private_allowed() -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS


def check_url(url: str) -> list[str]:
    """The addresses `url` may be reached at, every one of them public. Raises UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL("This is not a URL.") from None
    if parts.scheme != "https" and not (parts.scheme == "http" and private_allowed()):
        raise UnsafeURL("Only https endpoints.")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeURL("Give a host name, with no user or password.")
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"{parts.hostname} does not resolve.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not private_allowed():
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            ip = getattr(ip, "ipv4_mapped", None) or ip
            if not ip.is_global or ip.is_multicast:
                raise UnsafeURL(f"{parts.hostname} resolves to a non-public address ({ip}).")
    if not addresses:
        raise UnsafeURL(f"{parts.hostname} does not resolve.")
    return addresses


def payload(event: AuditEvent) -> dict[str, Any]:
    """The body of a delivery: what the event already carries (its metadata has no key in
    it: record() masks anything shaped like one)."""
    return {
        "type": EVENT_TYPES[event.action],
        "timestamp": event.created_at.isoformat(),
        "data": {
            "event_id": event.pk,
            "action": event.action,
            "actor": {"kind": event.actor_kind, "id": event.actor_id, "name": event.actor_name},
            "target": {"kind": event.target_kind, "id": event.target_id, "name": event.target_name},
            "project": event.project_id,
            "environment": event.environment_id,
            "ip": event.ip,
            "metadata": event.metadata,
            "hash": event.hash,
        },
    }


def on_event(event: AuditEvent) -> None:
    """Called by record() inside the event's transaction: deliveries and alerts follow its
    commit."""
    if event.action in EVENT_TYPES and event.organization_id is not None:
        transaction.on_commit(lambda: enqueue_deliveries(event))
    if alerts.wants_alert(event):
        transaction.on_commit(lambda: alerts.send_alert.enqueue(event.pk))


def enqueue_deliveries(event: AuditEvent) -> None:
    event_type = EVENT_TYPES[event.action]
    body = payload(event)
    for webhook in Webhook.objects.for_organization(event.organization_id).subscribed_to(
        event_type
    ):
        delivery = WebhookDelivery.objects.create(
            webhook=webhook,
            event_id=event.pk,
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            payload=body,
        )
        deliver.enqueue(delivery.pk)


def redeliver(delivery: WebhookDelivery) -> None:
    """`Redeliver`: the same message again (same id, so a receiver can tell), now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
    transaction.on_commit(lambda: deliver.enqueue(delivery.pk))


def post(url: str, address: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to `url` over a connection to `address` (already checked); the status code."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""  # check_url made sure there is one
    sock = socket.create_connection((address, port), timeout=TIMEOUT)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT)
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    connection.sock = sock  # connected to the checked address, never resolved again
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


def attempt(delivery: WebhookDelivery) -> tuple[bool, int | None, str]:
    """One try; returns (succeeded, response status or None, error text)."""
    webhook = delivery.webhook
    try:
        address = check_url(webhook.url)[0]
    except UnsafeURL as refusal:
        return False, None, f"refused: {refusal}"
    body = json.dumps(delivery.payload, separators=(",", ":"))
    now = timezone.now()
    signature = Signer(webhook.secret).sign(delivery.message_id, now, body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Keydesk-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    try:
        status = post(webhook.url, address, body.encode(), headers)
    except (OSError, http.client.HTTPException) as error:
        return False, None, f"{type(error).__name__}: {error}"[:300]
    if 200 <= status < 300:
        return True, status, ""
    return False, status, "redirects are not followed" if 300 <= status < 400 else ""


@task()
def deliver(delivery_id: int) -> None:
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.SUCCEEDED:
        return
    succeeded, status, error = attempt(delivery)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = status
    delivery.error = error
    if succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
    else:
        delays = settings.WEBHOOK_RETRY_DELAYS or RETRY_DELAYS
        delay = timedelta(seconds=delays[min(delivery.attempts - 1, len(delays) - 1)])
        if now + delay - delivery.created_at <= RETRY_WINDOW:
            delivery.status = DeliveryStatus.PENDING
            deliver.using(run_after=now + delay).enqueue(delivery.pk)
        else:
            delivery.status = DeliveryStatus.FAILED
    delivery.save(
        update_fields=["attempts", "last_attempt_at", "response_status", "error", "status"]
    )
