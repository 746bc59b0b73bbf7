"""Leaked keys: found in the wild, reported, and revoked at once (DESIGN.md section 13).

Three ways in share this module: anyone's report (`POST /v1/credentials/revoke`), GitHub's
secret scanning (`POST /v1/secret-scanning/github`) and `manage.py find_keys --revoke`.
Each revocation is one `key_leaked` audit event that says where the key was found.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import record
from audit.models import Action
from keys import tokens
from keys.models import Actor, ApiKey, _user, candidate_digests

LEAKED_REASON = "reported leaked"


def known_keys(plaintexts: Iterable[str]) -> dict[str, ApiKey]:
    """{plaintext: key} for the strings that are keys of this deployment.

    Strings failing the shape or checksum cost no query; the rest are one query in all."""
    candidates = {p for p in plaintexts if tokens.is_well_formed(p)}
    if not candidates:
        return {}
    by_digest = {}
    for plaintext in candidates:
        for digest in candidate_digests(plaintext):
            by_digest[digest] = plaintext
    keys = ApiKey.objects.filter(digest__in=by_digest).select_related("environment__project")
    return {by_digest[key.digest]: key for key in keys}


def revoke_leaked(*, plaintexts: Iterable[str], **report: Any) -> list[ApiKey]:
    """Revoke every key of this deployment among `plaintexts` that is not revoked yet, as
    revoke_leaked_key does; returns the keys this call revoked."""
    return [key for key in known_keys(plaintexts).values() if revoke_leaked_key(key=key, **report)]


def revoke_reported_by_github(
    reports: list[dict[str, str]], *, request: HttpRequest | None = None
) -> dict[str, ApiKey]:
    """Revoke the keys of this deployment among the tokens of GitHub's secret scanning
    `reports`, each with the URL it was found at; returns {token: key} of every reported token
    that is a key, revoked now or before."""
    keys = known_keys([report["token"] for report in reports])
    for report in reports:
        if report["token"] in keys:
            url = report["url"][:500]
            revoke_leaked_key(
                key=keys[report["token"]],
                source=f"github secret scanning ({report['source'][:50]})",
                reason=f"reported leaked by GitHub secret scanning: {url}",
                reporter="GitHub secret scanning",
                where=url,
                request=request,
            )
    return keys


def revoke_leaked_key(
    *,
    key: ApiKey,
    source: str,
    reason: str = LEAKED_REASON,
    by: Actor = None,
    reporter: str | None = None,
    request: HttpRequest | None = None,
    where: str = "",
) -> bool:
    """Revoke one leaked key and record it, in one transaction; False if it was revoked.

    `source` names who reported it (`public report`, `github secret scanning`, `find_keys`),
    `where` where it was found (a URL, a file and line), `reporter` names an anonymous
    reporter in the audit log. The plaintext is never recorded, only the key's hint."""
    with transaction.atomic():
        now = timezone.now()
        if not key.revoke(by=_user(by), reason=reason, at=now):
            return False
        record(
            action=Action.KEY_LEAKED,
            actor=by if by is not None else getattr(request, "user", None),
            target=key,
            request=request,
            actor_name=reporter,
            metadata={
                "hint": key.hint,
                "source": source,
                "where": where[:500],
                "reason": reason,
                "effective_at": now.isoformat(),
            },
            **key.environment.audit_scope,
        )
    return True
