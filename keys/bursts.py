"""`key_refusals`: a burst of 403 and 429 answers for one key, recorded once a burst (so a
misconfigured client or a stolen key hammering away is heard of once, not per request)."""

from django.conf import settings
from django.db import transaction

from audit import bursts
from audit.chain import record
from audit.models import Action
from keys.models import ApiKey


def note_refusal(key_pk: int, status: int, code: str) -> None:
    refusals = bursts.observe(
        "key_refusals",
        str(key_pk),
        threshold=settings.KEY_REFUSAL_BURST,
        window=settings.BURST_WINDOW,
    )
    if not refusals:
        return
    key = ApiKey.objects.select_related("environment__project").get(pk=key_pk)
    with transaction.atomic():
        record(
            action=Action.KEY_REFUSALS,
            target=key,
            metadata={
                "hint": key.hint,
                "refusals": refusals,
                "window_seconds": settings.BURST_WINDOW,
                "last": {"status": status, "code": code},
            },
            **key.environment.audit_scope,
        )
