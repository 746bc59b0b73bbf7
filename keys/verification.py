"""Checking a presented key: the rules behind `GET /v1/auth/verify` and `@require_api_key`.

Built to sit in front of every request of a team's services:
- a malformed key (shape or checksum) is refused before any query;
- a well-formed key costs one indexed query through the cursor (an ORM `.get()` would cost
  more Python than everything else here together);
- no key state is cached, so a revocation holds from the very next request on every worker
  and every host;
- `last_used_at` and the daily use counts are written at most once a minute per key (the
  counts gather in the cache meanwhile); rate-limit counters live in Django's cache (Redis
  when `REDIS_URL` is set, shared by every worker and host).
"""

import functools
import ipaddress
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import client_ip
from keys import tokens
from keys.models import (
    ApiKey,
    KeyUsage,
    candidate_digests,
    granted_permissions,
    record_expiry,
)

KEY_PARAMETERS = ("api_key", "key", "token")
USAGE_WRITE_INTERVAL = 60  # seconds between two writes of one key's last use


class Refusal(Exception):
    """A request the key does not let through, with the contract's status and code."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def unauthorized(code: str, message: str) -> Refusal:
    return Refusal(401, code, message, {"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    """What a request may know of the key that sent it (never its secret or digest)."""

    pk: int
    id: str
    name: str
    environment: str
    project: str
    permissions: tuple[str, ...]
    expires_at: datetime | None
    organization_id: int
    project_id: int
    environment_id: int
    rate_limit: int
    rate_limit_headers: dict[str, str]

    def require(self, wanted: Iterable[str]) -> None:
        missing = [p for p in wanted if p not in self.permissions]
        if missing:
            raise Refusal(
                403,
                "insufficient_permissions",
                f"This key lacks the permission(s): {', '.join(missing)}.",
                self.rate_limit_headers,
            )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "environment": self.environment,
            "project": self.project,
            "permissions": list(self.permissions),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


LOOKUP_SQL = """
SELECT k.id, k.public_id, k.name, k.can_write, k.can_manage, k.expires_at, k.allowed_ips,
       k.rate_limit, k.revoked_at, k.last_used_at, k.expiry_recorded,
       e.id, e.slug, e.default_rate_limit, p.id, p.slug, p.organization_id
FROM keys_apikey k
JOIN environments_environment e ON e.id = k.environment_id
JOIN environments_project p ON p.id = e.project_id
WHERE k.digest IN ({placeholders})
"""


@functools.cache
def lookup_sql(count: int, placeholder: str) -> str:
    return LOOKUP_SQL.format(placeholders=", ".join([placeholder] * count))


def lookup(digests: list[str]) -> tuple[Any, ...] | None:
    """The key's row, by digest: one indexed query.

    Straight through the driver's cursor, which costs half of Django's wrapper (that rewrites
    the placeholders and times the call on every execution); when Django is recording queries
    (DEBUG, the test suite's query counts) the same SQL goes through Django's cursor instead,
    so it is seen and counted."""
    if connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(lookup_sql(len(digests), "%s"), digests)
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
    connection.ensure_connection()
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    # As Django's cursor would: a broken connection is marked, and closed at the request's end.
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(lookup_sql(len(digests), placeholder), digests)
            raw: tuple[Any, ...] | None = cursor.fetchone()
            return raw
        finally:
            cursor.close()


def presented_key(request: HttpRequest) -> str:
    """The key a request carries, refusing keys in the URL first (they end up in logs)."""
    if any(name in request.GET for name in KEY_PARAMETERS):
        raise Refusal(
            400,
            "api_key_in_url",
            "Send the key in the Authorization header, never in the URL: URLs end up in logs. "
            "Treat this key as leaked and rotate it.",
        )
    header: str = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise unauthorized("missing_api_key", "Send the key as 'Authorization: Bearer <key>'.")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise unauthorized("malformed_api_key", "Use the Bearer scheme: 'Bearer <key>'.")
    if not tokens.is_well_formed(key):
        raise unauthorized("malformed_api_key", "This is not a Keydesk key (shape or checksum).")
    return key


def ip_allowed(ip: str | None, allowed: Iterable[str]) -> bool:
    """Whether `ip` (as audit.models.client_ip names it, or None) is inside any network."""
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in allowed)


def _datetime(value: datetime | str | None) -> datetime | None:
    """Raw cursor values: PostgreSQL gives aware datetimes, SQLite naive ones (or text) in UTC."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json(value: str | list[str] | None) -> list[str]:
    if isinstance(value, str):
        loaded: list[str] = json.loads(value)
        return loaded
    return value or []


def increment(counter: str, timeout: int) -> int:
    """Add one to a counter shared by every process; return its new value.

    One cache call in the common case (the counter exists); creating it is the rare path."""
    try:
        return cache.incr(counter)
    except ValueError:  # missing: a new window, or evicted
        if cache.add(counter, 1, timeout=timeout):
            return 1
        return cache.incr(counter)  # another process created it in between


def count_request(key_pk: int, limit: int) -> tuple[bool, dict[str, str]]:
    """Count one request in this minute's window; return (allowed, headers)."""
    now = time.time()
    reset = 60 - int(now % 60)
    used = increment(f"kd:rl:{key_pk}:{int(now // 60)}", timeout=120)
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(limit - used, 0)),
        "RateLimit-Reset": str(reset),
    }
    if used > limit:
        return False, {**headers, "Retry-After": str(reset)}
    return True, headers


def record_use(
    key_pk: int, last_used_at: datetime | None, now: datetime, request: HttpRequest | None = None
) -> None:
    """Keep last use (time and client address) and daily counts without a write on every
    request; the dashboard adds the counts still in the cache when it reads them."""
    counter = KeyUsage.counter(key_pk, now.date())
    increment(counter, timeout=2 * 86400)
    if last_used_at is not None and (now - last_used_at).total_seconds() < USAGE_WRITE_INTERVAL:
        return
    # Of the processes that see a stale last use, one wins this conditional update and
    # flushes the counts it holds; the others' counts wait for their next turn.
    stale = Q(last_used_at__isnull=True) | Q(
        last_used_at__lt=now - timedelta(seconds=USAGE_WRITE_INTERVAL)
    )
    ip = client_ip(request) if request is not None else None  # only on the write, once a minute
    if ApiKey.objects.filter(stale, pk=key_pk).update(last_used_at=now, last_used_ip=ip):
        KeyUsage.flush(key_pk, now.date(), counter)


def verify(request: HttpRequest, permissions: Iterable[str] = ("read",)) -> VerifiedKey:
    """Verify the request's key, count it, and check `permissions`. Raises Refusal."""
    key = presented_key(request)
    digests = candidate_digests(key)
    row = lookup(digests)
    if row is None:
        raise unauthorized("invalid_api_key", "This key is not known to Keydesk.")
    (
        pk,
        public_id,
        name,
        can_write,
        can_manage,
        expires_at,
        allowed_ips,
        rate_limit,
        revoked_at,
        last_used_at,
        expiry_recorded,
        environment_id,
        environment_slug,
        default_rate_limit,
        project_id,
        project_slug,
        organization_id,
    ) = row
    now = timezone.now()
    revoked_at = _datetime(revoked_at)
    if revoked_at is not None and revoked_at <= now:
        raise unauthorized("revoked_api_key", "This key has been revoked.")
    expires_at = _datetime(expires_at)
    if expires_at is not None and expires_at <= now:
        if not expiry_recorded:
            record_expiry(pk, request)
        raise unauthorized("expired_api_key", f"This key expired at {expires_at.isoformat()}.")

    limit = rate_limit or default_rate_limit
    allowed, headers = count_request(pk, limit)
    verified = VerifiedKey(
        pk=pk,
        id=public_id,
        name=name,
        environment=environment_slug,
        project=project_slug,
        permissions=tuple(granted_permissions(can_write, can_manage)),
        expires_at=expires_at,
        organization_id=organization_id,
        project_id=project_id,
        environment_id=environment_id,
        rate_limit=limit,
        rate_limit_headers=headers,
    )
    allowed_ips = _json(allowed_ips)
    if allowed_ips and not ip_allowed(client_ip(request), allowed_ips):
        raise Refusal(403, "ip_not_allowed", "This key may not be used from this address.", headers)
    if not allowed:
        raise Refusal(
            429,
            "rate_limited",
            f"This key may make {limit} requests a minute; retry after {headers['Retry-After']} s.",
            headers,
        )
    record_use(pk, _datetime(last_used_at), now, request)
    verified.require(permissions)
    return verified
