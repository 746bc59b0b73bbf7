"""Security alerts by email to an organization's admins (DESIGN.md section 14).

Like webhooks, an alert is a consequence of an audit event, sent by the task worker after the
event commits; its text comes from what the event carries (ids and hints, never a key).
Admins are found by the membership model's name, as everything in this app names other apps'.
"""

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task

from audit.models import Action, AuditEvent

ALERT_ACTIONS = {Action.KEY_LEAKED, Action.KEY_REFUSALS, Action.SIGN_IN_FAILURES}


def admin_emails(organization_id: int) -> list[str]:
    membership = apps.get_model("environments", "Membership")
    return sorted(
        set(
            membership.objects.filter(
                organization_id=organization_id, role="admin", user__is_active=True
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def wants_alert(event: AuditEvent) -> bool:
    return (
        settings.ALERT_EMAILS
        and event.action in ALERT_ACTIONS
        and event.organization_id is not None
    )


def message(event: AuditEvent) -> tuple[str, str]:
    """(subject, body) of the alert for `event`."""
    meta = event.metadata
    key = f"{event.target_name} ({event.target_id}, {meta.get('hint', '')})"
    if event.action == Action.SIGN_IN_FAILURES:
        subject = f"Keydesk: {meta['failures']} failed sign-ins for {meta['username']}"
        lines = [
            f"{meta['failures']} sign-ins for the username {meta['username']} failed within "
            f"{meta['window_seconds']} seconds, the last from {event.ip or 'an unknown address'}.",
            "",
            "If this was not them, someone is guessing a password: Keydesk locks the username "
            "and address out after a few tries.",
        ]
    elif event.action == Action.KEY_REFUSALS:
        subject = f"Keydesk: key {event.target_name} ({meta.get('hint', '')}) is being refused"
        lines = [
            f"The API key {key} was refused {meta['refusals']} times within "
            f"{meta['window_seconds']} seconds (last: {meta['last']['status']} "
            f"{meta['last']['code']}).",
            "",
            "A client is misconfigured, over its rate limit, or using the key from where it may "
            "not: check who holds it.",
        ]
    else:
        subject = f"Keydesk: key {event.target_name} ({meta.get('hint', '')}) leaked and revoked"
        lines = [
            f"The API key {key} was reported leaked and has been revoked: it no longer works.",
            "",
            f"Reported by: {meta.get('source', '')}",
            f"Found at: {meta.get('where') or 'not given'}",
            f"Revoked at: {meta.get('effective_at', event.created_at.isoformat())}",
            "",
            "Issue a replacement and update whatever used the key.",
        ]
    return subject, "\n".join([*lines, "", f"Audit event: #{event.pk}"])


@task()
def send_alert(event_id: int) -> None:
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None or event.organization_id is None:  # wants_alert asked for one
        return
    recipients = admin_emails(event.organization_id)
    if recipients:
        subject, body = message(event)
        send_mail(subject, body, None, recipients)
