"""Checking a presented key: the rules behind `GET /v1/auth/verify` and `@require_api_key`.

Built to sit in front of every request of a team's services:
- a malformed key (shape or checksum) is refused before any query;
- a well-formed key costs one indexed query through the cursor (an ORM `.get()` would cost
  more Python than everything else here together);
- no key state is cached, so a revocation holds from the very next request on every worker
  and every host;
- whether a revocation or an expiry has taken effect is decided by the database's clock;
- `last_used_at` and the daily use counts are written at most once a minute per key, best
  effort (the counts gather in keys.counters meanwhile, with the sliding rate-limit windows:
  in Redis when `REDIS_URL` is set, shared by every worker and host).
"""

import contextlib
import functools
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
)
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.masking import KEY_LIKE_RE
from audit.requests import client_ip
from config.outages import brief_locks
from keys import origins, tokens
from keys.bursts import note_refusal
from keys.counters import Count, counters
from keys.models import (
    ApiKey,
    KeyUsage,
    candidate_digests,
    granted_permissions,
    record_expiry,
    unflushed_days,
)

logger = logging.getLogger(__name__)

KEY_PARAMETERS = frozenset({"api_key", "key", "token", "access_token"})  # in any case
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
            note_refusal(self.pk, 403, "insufficient_permissions")
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
       k.allowed_origins, k.rate_limit, k.revoked_at <= {now}, k.expires_at <= {now},
       k.last_used_at, k.expiry_recorded, e.id, e.slug, e.default_rate_limit, p.id, p.slug,
       p.organization_id
FROM keys_apikey k
JOIN environments_environment e ON e.id = k.environment_id
JOIN environments_project p ON p.id = e.project_id
WHERE k.digest IN ({placeholders})
"""
# The database's clock, as Django's Now() writes it: whether a revocation or an expiry has
# taken effect is decided there, so a web host whose clock runs behind cannot keep a revoked
# key alive. SQLite stores datetimes as UTC text, which compares in time order.
DATABASE_NOW = {
    "postgresql": "STATEMENT_TIMESTAMP()",
    "sqlite": "STRFTIME('%%Y-%%m-%%d %%H:%%M:%%f', 'now')",  # %% as Django's cursor wants
}


@functools.cache
def lookup_sql(count: int, placeholder: str, vendor: str) -> str:
    sql = LOOKUP_SQL.format(placeholders=", ".join([placeholder] * count), now=DATABASE_NOW[vendor])
    return sql.replace("%%", "%") if placeholder == "?" else sql  # sqlite3's own cursor


def lookup(digests: list[str]) -> tuple[Any, ...] | None:
    """The key's row, by digest: one indexed query.

    A connection the database dropped (a restart, a failover) fails here first: it is closed
    and the query tried once more on a new one, so every worker recovers on its next request
    without paying a health check on every request."""
    try:
        return _lookup(digests)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        with contextlib.suppress(DatabaseError):
            connection.close()
        return _lookup(digests)


def _lookup(digests: list[str]) -> tuple[Any, ...] | None:
    """Straight through the driver's cursor, which costs half of Django's wrapper (that rewrites
    the placeholders and times the call on every execution); when Django is recording queries
    (DEBUG, the test suite's query counts) the same SQL goes through Django's cursor instead,
    so it is seen and counted."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of django.db.connection looks it up
    vendor = db.vendor
    if db.queries_logged:
        with db.cursor() as cursor:
            cursor.execute(lookup_sql(len(digests), "%s", vendor), digests)
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
    db.ensure_connection()
    placeholder = "?" if vendor == "sqlite" else "%s"
    # As Django's cursor would: a broken connection is marked, and closed at the request's end.
    with db.wrap_database_errors:
        driver = driver_cursor(db.connection, vendor)
        driver.execute(lookup_sql(len(digests), placeholder, vendor), digests)
        # All rows (there is at most one): SQLite's statement then ends, and holds no snapshot.
        rows: list[tuple[Any, ...]] = driver.fetchall()
        return rows[0] if rows else None


drivers = threading.local()


def driver_cursor(raw_connection: Any, vendor: str) -> Any:
    """This thread's cursor on the driver's connection, kept for the next lookup on the same
    connection (a new cursor costs a quarter of the lookup on PostgreSQL)."""
    cursor = getattr(drivers, "cursor", None)
    if cursor is None or cursor.connection is not raw_connection:
        if vendor == "postgresql":
            # Server-side binding (Django's cursors bind on the client): psycopg prepares the
            # statement on its fifth run (prepare_threshold, config/settings.py), and PostgreSQL
            # skips parsing and planning it from then on.
            cursor = psycopg.Cursor(raw_connection)
        else:
            cursor = raw_connection.cursor()
        drivers.cursor = cursor
    return cursor


def presented_key(request: HttpRequest) -> str:
    """The key a request carries, refusing keys in the URL first (they end up in logs): under
    the names clients use for keys, in any case, or under any name when the value (or the name)
    is shaped like a key."""
    if any(
        name.lower() in KEY_PARAMETERS
        or KEY_LIKE_RE.search(name)
        or any(KEY_LIKE_RE.search(value) for value in values)
        for name, values in request.GET.lists()
    ):
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
    return well_formed(key)


def well_formed(key: str) -> str:
    """`key`, unless its shape or checksum says it is no Keydesk key (refused with no query)."""
    if not tokens.is_well_formed(key):
        raise unauthorized("malformed_api_key", "This is not a Keydesk key (shape or checksum).")
    return key


def ip_allowed(ip: str | None, allowed: Iterable[str]) -> bool:
    """Whether `ip` (as audit.requests.client_ip names it, or None) is inside any network."""
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


def rate_limit_headers(count: Count, limit: int) -> dict[str, str]:
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(limit - count.used, 0)),
        "RateLimit-Reset": str(count.reset),
    }
    if not count.allowed:
        headers["Retry-After"] = str(count.reset)
    return headers


class BestEffort:
    """Writes a verification makes on the side (last use, usage counts, a recorded expiry).

    None of them may fail or stall a verification: each waits briefly for a lock, and when it
    fails (a locked or read-only database) it is skipped, logged once, and tried again after
    a pause (the counts it would have written are kept for that turn)."""

    PAUSE = 30  # seconds without side writes after one failed

    def __init__(self) -> None:
        self.paused_until: float | None = None

    @property
    def paused(self) -> bool:
        return self.paused_until is not None and time.monotonic() < self.paused_until

    def failed(self, what: str, error: Exception) -> None:
        if self.paused_until is None:
            logger.warning(
                "Could not write %s (%s: %s); verification carries on, writes resume later.",
                what,
                type(error).__name__,
                error,
            )
        self.paused_until = time.monotonic() + self.PAUSE

    def succeeded(self) -> None:
        if self.paused_until is not None:
            logger.warning("Usage writes succeed again.")
            self.paused_until = None


side_writes = BestEffort()


def record_use(
    key_pk: int, last_used_at: datetime | None, now: datetime, request: HttpRequest
) -> None:
    """Keep last use (time and client address) and daily counts without a write on every
    request (best effort); the dashboard adds the counts not yet written when it reads them.

    The write takes yesterday's counter too: the uses of a day's last minute would otherwise
    wait in the cache until it forgets them."""
    if last_used_at is not None and (now - last_used_at).total_seconds() < USAGE_WRITE_INTERVAL:
        return
    if side_writes.paused:
        return
    # Of the processes that see a stale last use, one wins this conditional update and
    # flushes the counts it holds; the others' counts wait for their next turn.
    stale = Q(last_used_at__isnull=True) | Q(
        last_used_at__lt=now - timedelta(seconds=USAGE_WRITE_INTERVAL)
    )
    ip = client_ip(request)  # only on the write, once a minute
    taken: dict[str, int] = {}
    try:
        with brief_locks():
            if ApiKey.objects.filter(stale, pk=key_pk).update(last_used_at=now, last_used_ip=ip):
                for day in unflushed_days(now.date()):
                    counter = KeyUsage.counter(key_pk, day)
                    taken[counter] = counters.take_uses(counter)
                    KeyUsage.add(key_pk, day, taken[counter])
    except DatabaseError as error:
        for counter, count in taken.items():  # the transaction wrote none of them
            if count:
                counters.give_back(counter, count)
        side_writes.failed("a key's last use", error)
    else:
        side_writes.succeeded()


def note_expiry(key_pk: int, request: HttpRequest) -> None:
    """Record an expired key's first refusal, best effort: the refusal stands regardless."""
    if side_writes.paused:
        return
    try:
        with brief_locks():
            record_expiry(key_pk, request)
    except DatabaseError as error:
        side_writes.failed("a key's expiry", error)
    else:
        side_writes.succeeded()


def verify(
    request: HttpRequest, permissions: Iterable[str] = ("read",), *, key: str | None = None
) -> VerifiedKey:
    """Verify the request's key, count it, and check `permissions`. Raises Refusal.

    `key` is one the request carries another way than its Authorization header (the dashboard's
    playground POSTs it); the request still gives the client's address and origin."""
    key = presented_key(request) if key is None else well_formed(key.strip())
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
        allowed_origins,
        rate_limit,
        revoked,
        expired,
        last_used_at,
        expiry_recorded,
        environment_id,
        environment_slug,
        default_rate_limit,
        project_id,
        project_slug,
        organization_id,
    ) = row
    if revoked:
        raise unauthorized("revoked_api_key", "This key has been revoked.")
    expires_at = _datetime(expires_at)
    if expired and expires_at is not None:
        if not expiry_recorded:
            note_expiry(pk, request)
        raise unauthorized("expired_api_key", f"This key expired at {expires_at.isoformat()}.")

    now = timezone.now()
    limit = rate_limit or default_rate_limit
    allowed_ips = _json(allowed_ips)
    from_allowed_ip = not allowed_ips or ip_allowed(client_ip(request), allowed_ips)
    allowed_origins = _json(allowed_origins)
    from_allowed_origin = not allowed_origins or origins.allowed(
        origins.request_origin(request.headers.get("Origin"), request.headers.get("Referer")),
        allowed_origins,
    )
    use_counter = KeyUsage.counter(pk, now.date())
    counted = from_allowed_ip and from_allowed_origin  # refused requests are no use
    count = counters.hit(pk, limit, use_counter=use_counter if counted else None)
    headers = rate_limit_headers(count, limit)
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
    if not from_allowed_ip:
        note_refusal(pk, 403, "ip_not_allowed")  # a burst of refusals is alerted once
        raise Refusal(403, "ip_not_allowed", "This key may not be used from this address.", headers)
    if not from_allowed_origin:
        note_refusal(pk, 403, "origin_not_allowed")
        raise Refusal(
            403, "origin_not_allowed", "This key may not be used from this origin.", headers
        )
    if not count.allowed:
        note_refusal(pk, 429, "rate_limited")
        raise Refusal(
            429,
            "rate_limited",
            f"This key may make {limit} requests a minute; retry after {headers['Retry-After']} s.",
            headers,
        )
    record_use(pk, _datetime(last_used_at), now, request)
    verified.require(permissions)
    return verified
