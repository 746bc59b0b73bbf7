"""API keys: issued once, stored only as a digest, and known afterwards by their hint.

Every rule of a key's life is here, once: its states (`status`, `is_usable`, `is_rotatable`,
and the QuerySet's `active`, `expired`, `revoked`, `unrevoked`), its use and expiry
(`never_used`, `unused_since`, `expiring_within`, `clean_expiry`, `expiry_in`, the lifetime
limit `check_lifetime`), what a caller may give a key (`check_may_issue`), the keyword-only
functions that issue, change, rotate, revoke and archive keys with their audit events in one
transaction, what becomes of a personal key when its owner leaves or changes role
(`owner_removed`, `owner_role_changed`), and the events its expiry brings (`record_expiry`,
`announce_expiry`, run by keys/scheduled.py).
"""

import ipaddress
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models.functions import Now
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import record
from audit.models import Action
from config.pagination import Keyset
from environments.models import Environment, EnvironmentTag, Membership, Organization, Project
from keys import origins, tokens

logger = logging.getLogger(__name__)


class Permission(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    MANAGE = "manage", "Manage"


class Kind(models.TextChoices):
    PERSONAL = "personal", "Personal"
    SERVICE = "service", "Service"


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


# Who changes a key: a person, a key (through the API), or None for a command.
type Actor = User | ApiKey | None


def digest(key: str) -> str:
    """The stored form of a key, under the current KEY_HASH_SECRET."""
    return tokens.digest(key, settings.KEY_HASH_SECRETS[0])


def candidate_digests(key: str) -> list[str]:
    """The key's digest under every configured secret, so keys survive a secret rotation."""
    return [tokens.digest(key, secret) for secret in settings.KEY_HASH_SECRETS]


def granted_permissions(can_write: bool, can_manage: bool) -> list[str]:
    """The permission names a key's columns grant, `read` (always) first."""
    granted = [Permission.READ.value]
    if can_write:
        granted.append(Permission.WRITE.value)
    if can_manage:
        granted.append(Permission.MANAGE.value)
    return granted


def permission_columns(permissions: Iterable[str]) -> dict[str, bool]:
    """The columns that grant these permission names (`read` is implied): the inverse of
    granted_permissions."""
    names = set(permissions)
    return {
        "can_write": Permission.WRITE.value in names,
        "can_manage": Permission.MANAGE.value in names,
    }


# The latest expiry Keydesk stores: every supported database reads it back into Python (psycopg
# cannot read a timestamp past year 9999 in UTC, nor one before year 1), whatever the offset.
LATEST_EXPIRY = datetime(9999, 12, 30, tzinfo=UTC)
LATEST = "9999-12-30T00:00:00Z"


class InvalidExpiry(ValueError):
    """An expiry no key can have; the message says why, for a person to act on."""


def clean_expiry(value: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """An expiry as it is stored: aware, in UTC, in the future and at most LATEST_EXPIRY.

    None (no expiry) passes. Raises InvalidExpiry: every entry point (the API's schemas, the
    dashboard's forms, the commands) asks this before a value can reach a row."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidExpiry("give a time zone, e.g. 2027-01-01T00:00:00Z")
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # the offset moves it out of years 1-9999
        raise InvalidExpiry(
            "must be in the future" if value.year == 1 else f"must be no later than {LATEST}"
        ) from None
    if value > LATEST_EXPIRY:
        raise InvalidExpiry(f"must be no later than {LATEST}")
    if value <= (now or timezone.now()):
        raise InvalidExpiry("must be in the future")
    return value


def expiry_in(days: int | None, *, now: datetime | None = None) -> datetime | None:
    """The expiry `days` whole days from now (None for None), checked like any other."""
    if days is None:
        return None
    if days < 1:
        raise InvalidExpiry("must be a whole number of days, 1 or more")
    now = now or timezone.now()
    try:
        return clean_expiry(now + timedelta(days=days), now=now)
    except OverflowError:
        raise InvalidExpiry(f"must be no later than {LATEST}") from None


# The conditions of a key's use and expiry, once: the QuerySet's filters and its hygiene
# counts (which count several at once, so they need the conditions, not filtered querysets).
UNUSED_FOR = timedelta(days=30)
EXPIRING_SOON = timedelta(days=7)


def q_never_used() -> models.Q:
    return models.Q(last_used_at__isnull=True)


def q_unused_since(when: datetime) -> models.Q:
    return q_never_used() | models.Q(last_used_at__lt=when)


def q_expiring_within(period: timedelta, *, now: datetime) -> models.Q:
    return models.Q(expires_at__gt=now, expires_at__lte=now + period)


def q_without_expiry() -> models.Q:
    return models.Q(expires_at__isnull=True)


def q_not_announced(days: int) -> models.Q:
    """Not yet told it expires within `days` days (nor within fewer)."""
    return models.Q(expiry_notice__isnull=True) | models.Q(expiry_notice__gt=days)


class LifetimeTooLong(ValueError):
    """A new production key would outlive its organization's maximum lifetime."""

    def __init__(self, *, days: int, latest: datetime) -> None:
        self.days, self.latest = days, latest
        super().__init__(
            f"Production keys of this organization expire within {days} day"
            f"{'' if days == 1 else 's'}: choose an expiry no later than"
            f" {latest:%Y-%m-%d %H:%M} UTC."
        )


def latest_expiry(environment: Environment, *, now: datetime | None = None) -> datetime | None:
    """The latest expiry a new key of `environment` may have (None: any, or none at all):
    its organization's `max_production_key_days` from now, for a production environment."""
    if not environment.is_production:
        return None
    days = environment.project.organization.max_production_key_days
    return None if days is None else (now or timezone.now()) + timedelta(days=days)


def check_lifetime(
    environment: Environment, expires_at: datetime | None, *, now: datetime | None = None
) -> None:
    """Raise LifetimeTooLong unless a new key of `environment` may have this expiry. Under a
    limit, no expiry is too long. Every way in asks it (issue_api_key does, as a last guard)."""
    latest = latest_expiry(environment, now=now)
    if latest is not None and (expires_at is None or expires_at > latest):
        days = environment.project.organization.max_production_key_days or 0  # set: see latest
        raise LifetimeTooLong(days=days, latest=latest)


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def for_user(self, user: User) -> Self:
        """In every organization `user` belongs to (views use for_organization)."""
        return self.filter(environment__project__organization__memberships__user=user)

    def for_organization(self, organization: Organization | int) -> Self:
        return self.filter(organization=organization)

    # `revoked_at` is when a revocation takes effect: a rotated key's may lie in the future.
    def revoked(self) -> Self:
        return self.filter(revoked_at__lte=timezone.now())

    def unrevoked(self) -> Self:
        """Not revoked yet: active, expired (an expiry can be extended), or rotated and still
        inside its grace window."""
        return self.exclude(revoked_at__lte=timezone.now())

    def expired(self) -> Self:
        return self.unrevoked().filter(expires_at__lte=timezone.now())

    def active(self) -> Self:
        return self.unrevoked().exclude(expires_at__lte=timezone.now())

    def with_status(self, status: str) -> Self:
        """`active`, `expired` or `revoked` (Status)."""
        return {
            Status.ACTIVE: self.active,
            Status.EXPIRED: self.expired,
            Status.REVOKED: self.revoked,
        }[Status(status)]()

    def never_used(self) -> Self:
        return self.filter(q_never_used())

    def unused_since(self, when: datetime) -> Self:
        """Keys not used since `when`, never-used ones included."""
        return self.filter(q_unused_since(when))

    def expiring_within(self, period: timedelta) -> Self:
        """Keys that expire in the coming `period` (a timedelta), and have not yet."""
        return self.filter(q_expiring_within(period, now=timezone.now()))

    def without_expiry(self) -> Self:
        return self.filter(q_without_expiry())

    def hygiene(self) -> dict[str, int]:
        """How many of these keys want attention, in one query (conditional aggregation):
        {"never_used", "unused", "without_expiry", "expiring", "total": count}, under the
        same rules as the filters above. Ask it of active keys: a revoked one needs nothing."""
        now = timezone.now()
        return self.aggregate(
            total=models.Count("pk"),
            never_used=models.Count("pk", filter=q_never_used()),
            unused=models.Count("pk", filter=q_unused_since(now - UNUSED_FOR)),
            without_expiry=models.Count("pk", filter=q_without_expiry()),
            expiring=models.Count("pk", filter=q_expiring_within(EXPIRING_SOON, now=now)),
        )

    def searching(self, text: str) -> Self:
        """Keys whose name or hint contains `text`, or whose public id it is."""
        text = text.strip()
        return self.filter(
            models.Q(name__icontains=text)
            | models.Q(hint__icontains=text)
            | models.Q(public_id=text)
        )

    def filtered(
        self,
        *,
        q: str = "",
        project: Project | None = None,
        environment: Environment | None = None,
        status: str = "",
        kind: str = "",
        creator: User | None = None,
        use: str = "",
        expiry: str = "",
        tag: tuple[str, str] | None = None,
    ) -> Self:
        """The keys that pass the admin page's filters (KeyFilterForm names them)."""
        equal = {
            "environment__project": project,
            "environment": environment,
            "kind": kind,
            "created_by": creator,
        }
        keys = self.filter(**{field: value for field, value in equal.items() if value})
        if q:
            keys = keys.searching(q)
        if status:
            keys = keys.with_status(status)
        if use == "never":
            keys = keys.never_used()
        elif use == "unused30":
            keys = keys.unused_since(timezone.now() - UNUSED_FOR)
        if expiry == "soon":
            keys = keys.expiring_within(EXPIRING_SOON)
        elif expiry == "none":
            keys = keys.without_expiry()
        if tag:
            keys = keys.tagged(*tag)
        return keys

    def tagged(self, key: str, value: str = "") -> Self:
        """Keys of environments tagged `key=value` (any value when `value` is empty; `EU` is
        `eu`, as people type it)."""
        tags = EnvironmentTag.objects.filter(key=key, **({"value__iexact": value} if value else {}))
        return self.filter(environment__in=tags.values("environment"))

    def with_related(self) -> Self:
        return self.select_related("environment__project", "created_by")

    def locked(self) -> Self:
        """Each key's row locked, all at once and in one order: a writer takes the rows of the
        keys it changes before the audit chain's head (each change updates, then records), so
        a concurrent change of one of them never waits on the head while holding its row."""
        return self.with_related().select_for_update(of=("self",)).order_by("pk")

    def personal_of(self, user: User) -> Self:
        """`user`'s personal keys not revoked yet: what their owner's leaving or demotion acts
        on (expired ones too: an admin could extend one, and it would work again)."""
        return self.filter(created_by=user, kind=Kind.PERSONAL).unrevoked()

    # The scheduled events ask with the time they run at (keys/scheduled.py).
    def to_announce(self, days: int, *, now: datetime) -> Self:
        """Keys to tell, once, that they expire within `days` days."""
        return (
            self.exclude(revoked_at__lte=now)
            .filter(q_expiring_within(timedelta(days=days), now=now), q_not_announced(days))
            .select_related("environment__project")
        )

    def expired_unrecorded(self, *, now: datetime) -> Self:
        """Expired keys whose expiry is not recorded yet."""
        return self.exclude(revoked_at__lte=now).filter(expires_at__lte=now, expiry_recorded=False)

    def matching(self, plaintext: str) -> Self:
        """The key (if any) whose digest this plaintext has, under any configured secret."""
        return self.filter(digest__in=candidate_digests(plaintext))

    def changeable_by(self, membership: Membership) -> Self:
        """The keys this member may revoke, edit or rotate: an admin or a manager any key of
        the organization, a member their own, a viewer none."""
        keys = self.for_organization(membership.organization_id)
        if membership.manages_keys:
            return keys
        if membership.can_create_keys:
            return keys.filter(created_by_id=membership.user_id)
        return keys.none()


class ApiKey(models.Model):
    public_id = models.CharField(max_length=20, unique=True, editable=False)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    environment = models.ForeignKey(
        "environments.Environment",
        on_delete=models.PROTECT,
        related_name="api_keys",
        db_index=False,  # the environment's index below starts with it
    )
    # The environment's organization, kept on the key (a key never moves): the tenant every
    # list starts from, so an organization's keys are one index range, not a join.
    organization = models.ForeignKey(
        "environments.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # the organization's index below starts with it
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    # `read` is implied: every key can read.
    can_write = models.BooleanField(default=False)
    can_manage = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    allowed_ips = models.JSONField(default=list, blank=True)
    # Origins or host patterns (keys/origins.py) a browser page must come from; empty: any.
    allowed_origins = models.JSONField(default=list, blank=True)
    rate_limit = models.PositiveIntegerField(null=True, blank=True)

    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=20, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The client address of the last use recorded (with last_used_at, at most once a minute).
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_reason = models.CharField(max_length=200, blank=True)
    rotated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the first refused use after expiry is recorded, so that is recorded once.
    expiry_recorded = models.BooleanField(default=False, editable=False)
    # The last `key_expiring` notice recorded (days ahead: 7, then 1), so each is sent once.
    expiry_notice = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    # Not columns: set on the keys a page shows (`with_recent_usage` and `with_pending_usage`,
    # keys/views.py `with_changeable`).
    recent_requests: int | None
    changeable: bool

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        # The lists' order (NEWEST_FIRST) behind each list's equality filter: any page of an
        # organization's keys, or of one environment's, is one range scan (config/pagination.py).
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="key_org_newest"),
            models.Index(fields=["environment", "-created_at", "-id"], name="key_env_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint})"

    @classmethod
    def issue(
        cls,
        *,
        environment: Environment,
        name: str,
        created_by: User | None = None,
        write: bool = False,
        manage: bool = False,
        **fields: Any,
    ) -> tuple["ApiKey", str]:
        """Make a new key. Returns (key, plaintext): the plaintext is never stored anywhere."""
        plaintext = tokens.generate(environment.key_tag)
        key = cls.objects.create(
            public_id=tokens.public_id(),
            environment=environment,
            organization_id=environment.project.organization_id,
            name=name,
            created_by=created_by,
            can_write=write,
            can_manage=manage,
            digest=digest(plaintext),
            hint=tokens.hint(plaintext),
            **fields,
        )
        return key, plaintext

    @property
    def permissions(self) -> list[str]:
        return granted_permissions(self.can_write, self.can_manage)

    @property
    def status(self) -> Status:
        now = timezone.now()
        if self.revoked_at is not None and self.revoked_at <= now:
            return Status.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return Status.EXPIRED
        return Status.ACTIVE

    @property
    def revokes_later(self) -> bool:
        """A rotated key still inside its grace window."""
        return self.revoked_at is not None and self.revoked_at > timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def is_rotatable(self) -> bool:
        """Active and not rotated already (a rotated key has a revocation, even a pending one)."""
        return self.revoked_at is None and self.is_usable

    def revoke(
        self, *, by: User | None = None, reason: str = "", at: datetime | None = None
    ) -> bool:
        """Stop the key for good (now, or `at`); the record stays.

        Returns False if it was already revoked by then."""
        # The database's clock, not this host's: one running ahead must not postpone it.
        when = at or Now()
        pending = models.Q(revoked_at__isnull=True) | models.Q(revoked_at__gt=when)
        updated = ApiKey.objects.filter(pending, pk=self.pk).update(
            revoked_at=when, revoked_by=by, revoked_reason=reason[:200]
        )
        self.refresh_from_db(fields=["revoked_at", "revoked_by", "revoked_reason"])
        return bool(updated)


# The key lists' order, newest first, tie-broken by id: the indexes in ApiKey.Meta serve it.
NEWEST_FIRST = Keyset("keys", ("created_at", "id"))


class BeyondIssuer(PermissionDenied):
    """A caller asked to give a key more than it may; the message says what, to act on."""


def check_may_issue(
    issuer: ApiKey | Membership,
    *,
    permissions: Iterable[str],
    expires_at: datetime | None = None,
    allowed_ips: Iterable[str] = (),
    allowed_origins: Iterable[str] = (),
) -> None:
    """Raise BeyondIssuer unless `issuer` may give a key these permissions (names), this
    expiry, these networks and these origins, whether it makes, changes or rotates the key.

    A key (the API's caller) gives nothing beyond its own: no permission it lacks, no later
    expiry (nor none, when it has one), no network outside its own, no page its own origins do
    not admit (nor every page, when it has some). A member (a Membership,
    in the dashboard) gives any expiry and networks, and `manage` only if the role grants it
    (DESIGN.md section 7)."""
    wanted = set(permissions) - {Permission.READ.value}
    if not isinstance(issuer, ApiKey):
        if Permission.MANAGE.value in wanted and not issuer.can_grant_manage:
            raise BeyondIssuer("Only admins may issue a key with manage.")
        return
    beyond = sorted(wanted - set(issuer.permissions))
    if beyond:
        raise BeyondIssuer(f"A key cannot grant what it lacks: {', '.join(beyond)}.")
    own_expiry = issuer.expires_at
    if own_expiry is not None and (expires_at is None or expires_at > own_expiry):
        raise BeyondIssuer(
            f"This key expires at {own_expiry.isoformat()}: it cannot give a key more time."
        )
    if issuer.allowed_ips:
        own = [ipaddress.ip_network(n) for n in issuer.allowed_ips]
        given = [ipaddress.ip_network(n) for n in allowed_ips]
        # `subnet_of` wants a network of its own version (mypy cannot see the check before it).
        inside = all(
            any(n.version == o.version and n.subnet_of(o) for o in own)  # type: ignore[arg-type]
            for n in given
        )
        if not given or not inside:
            raise BeyondIssuer(
                "This key works only from some networks: it cannot give a key more of them."
            )
    given_origins = list(allowed_origins)
    if issuer.allowed_origins and not (
        given_origins and origins.within(given_origins, issuer.allowed_origins)
    ):
        raise BeyondIssuer(
            "This key works only from some origins: it cannot give a key more of them."
        )


def unflushed_days(today: date) -> tuple[date, date]:
    """The days whose counters may still hold counts: a counter is flushed only on its own
    day, and lives two days in the cache."""
    return (today, today - timedelta(days=1))


def with_recent_usage(keys: Iterable[ApiKey], *, days: int = 7) -> list[ApiKey]:
    """`keys` as a list, each with `recent_requests`: its requests in the last `days` days
    (UTC), those written to the database (one query for all the keys, so a page of a list
    costs the same however long the list) and those the cache still holds, so a table is right
    up to this request, not a minute ago."""
    keys = list(keys)
    today = timezone.now().date()
    pks = [key.pk for key in keys]
    written = dict(
        KeyUsage.objects.filter(api_key__in=pks, day__gte=today - timedelta(days=days - 1))
        .order_by()
        .values("api_key")
        .annotate(total=models.Sum("requests"))
        .values_list("api_key", "total")
    )
    days_pending = unflushed_days(today)
    pending = KeyUsage.pending(pks, days_pending)
    for key in keys:
        key.recent_requests = written.get(key.pk, 0) + sum(
            pending.get((key.pk, day), 0) for day in days_pending
        )
    return keys


class KeyUsage(models.Model):
    """Requests a key made on one day (UTC), written from keys.counters about once a minute."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    requests = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "day"], name="one_usage_a_day")]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.api_key_id} on {self.day}: {self.requests}"

    @staticmethod
    def counter(key_pk: int, day: date) -> str:
        """The cache key under which a key's requests of `day` gather until flushed."""
        return f"kd:use:{key_pk}:{day.isoformat()}"

    @classmethod
    def pending(cls, key_pks: Iterable[int], days: Iterable[date]) -> dict[tuple[int, date], int]:
        """Counts gathered in the cache and not flushed yet: {(key pk, day): requests}."""
        names = {cls.counter(pk, day): (pk, day) for pk in key_pks for day in days}
        if not names:
            return {}
        from keys.counters import counters  # counts gather there (Redis, or this process)

        found = counters.peek_uses(list(names))
        return {names[name]: count for name, count in found.items()}

    @classmethod
    def per_day(
        cls, keys: "ApiKey | models.QuerySet[ApiKey]", *, days: int = 30
    ) -> list[tuple[date, int]]:
        """Requests per day (UTC) over the last `days` days, oldest first, zero days included:
        [(day, requests)]. `keys` is one key, or a queryset of keys counted together (an
        environment's). One aggregate query, plus what the cache still holds, so the chart is
        right up to this request."""
        today = timezone.now().date()
        since = today - timedelta(days=days - 1)
        if isinstance(keys, ApiKey):
            rows, pending_pks = cls.objects.filter(api_key=keys), [keys.pk]
        else:
            rows = cls.objects.filter(api_key__in=keys)
            # Unwritten counts are yesterday's or today's, and a use writes last_used_at when
            # it is a minute old: only keys used since the day before yesterday can hold any,
            # so this peeks at a few counters, not at every key's.
            since_used = datetime.combine(today - timedelta(days=2), datetime.min.time(), UTC)
            recent = keys.filter(last_used_at__gte=since_used).values_list("pk", flat=True)
            pending_pks = list(recent)
        counts = dict(
            rows.filter(day__gte=since)
            .order_by()
            .values("day")
            .annotate(total=models.Sum("requests"))
            .values_list("day", "total")
        )
        for (_, day), count in cls.pending(pending_pks, unflushed_days(today)).items():
            counts[day] = counts.get(day, 0) + count
        return [
            (day, counts.get(day, 0)) for day in (since + timedelta(days=n) for n in range(days))
        ]

    @classmethod
    def add(cls, key_pk: int, day: date, count: int) -> None:
        """Add `count` requests (gathered in keys.counters) to the day's row."""
        if not count:
            return
        usage, _ = cls.objects.get_or_create(api_key_id=key_pk, day=day)
        cls.objects.filter(pk=usage.pk).update(requests=models.F("requests") + count)


def record_expiry(key_pk: int, request: HttpRequest | None = None) -> None:
    """Record, once, that a key has expired (when it is presented and refused, or when the
    scheduled events find it)."""
    with transaction.atomic():
        if not ApiKey.objects.filter(pk=key_pk, expiry_recorded=False).update(expiry_recorded=True):
            return
        key = ApiKey.objects.select_related("environment__project").get(pk=key_pk)
        _record(
            key, Action.KEY_EXPIRED, by=None, request=request, expired_at=_jsonable(key.expires_at)
        )


# `key_expiring` is recorded this many days ahead, nearest first: a key already inside a day
# gets that notice alone, not both.
EXPIRY_NOTICES = (1, 7)


def announce_expiry(key: ApiKey, days: int) -> bool:
    """Record, once, that `key` expires within `days` days; False if that is told already."""
    with transaction.atomic():
        if not ApiKey.objects.filter(q_not_announced(days), pk=key.pk).update(expiry_notice=days):
            return False
        _record(
            key,
            Action.KEY_EXPIRING,
            by=None,
            request=None,
            days_ahead=days,
            expires_at=_jsonable(key.expires_at),
        )
    return True


def issue_api_key(
    *,
    environment: Environment,
    name: str,
    by: Actor,
    kind: str = Kind.PERSONAL,
    request: HttpRequest | None = None,
    **fields: Any,
) -> tuple[ApiKey, str]:
    """Issue a key and record it, in one transaction.

    `by` is a user, a key (through the API), or None for a command; `fields` are ApiKey.issue's
    (write, manage, expires_at, description, allowed_ips, allowed_origins, rate_limit)."""
    check_lifetime(environment, fields.get("expires_at"))
    with transaction.atomic():
        key, plaintext = ApiKey.issue(
            environment=environment, name=name, created_by=_user(by), kind=kind, **fields
        )
        _record(
            key,
            Action.KEY_CREATED,
            by=by,
            request=request,
            kind=key.kind,
            permissions=key.permissions,
            expires_at=_jsonable(key.expires_at),
        )
    return key, plaintext


def _user(actor: Actor) -> User | None:
    """The actor if it is a person (for `created_by`/`revoked_by`), else None (a key, a command)."""
    return actor if isinstance(actor, User) else None


def _record(
    key: ApiKey, action: str, *, by: Actor, request: HttpRequest | None, **metadata: Any
) -> None:
    record(
        action=action,
        actor=by,
        target=key,
        request=request,
        metadata={"hint": key.hint, **metadata},
        **key.environment.audit_scope,
    )


def revoke_api_key(
    *,
    key: ApiKey,
    by: Actor,
    reason: str,
    request: HttpRequest | None = None,
    at: datetime | None = None,
) -> bool:
    """Revoke a key (now, or at `at`) and record it, in one transaction.

    `by` is a user, a key (through the API), or None for a command."""
    with transaction.atomic():
        if not key.revoke(by=_user(by), reason=reason, at=at):
            return False
        _record(
            key,
            Action.KEY_REVOKED,
            by=by,
            request=request,
            reason=reason,
            effective_at=_jsonable(key.revoked_at),
        )
    return True


def revoke_keys(
    keys: ApiKeyQuerySet, *, by: Actor, reason: str, request: HttpRequest | None = None
) -> list[str]:
    """Revoke the keys of the queryset `keys` (locked first: see `locked`), each recorded;
    returns the public ids of those revoked."""
    return [
        key.public_id
        for key in keys.locked()
        if revoke_api_key(key=key, by=by, reason=reason, request=request)
    ]


# A personal key is its owner's (DESIGN.md section 2): it cannot outlast their membership, nor
# keep what their role no longer lets them give. Service keys belong to the organization (the
# services that run on them) and stay.
OWNER_REMOVED = "member removed"


def owner_removed(
    *,
    user: User,
    organization: Organization | int,
    by: Actor,
    request: HttpRequest | None = None,
) -> list[str]:
    """`user` has left `organization`: their personal keys there are revoked. Returns the
    public ids revoked."""
    keys = ApiKey.objects.for_organization(organization).personal_of(user)
    return revoke_keys(keys, by=by, reason=OWNER_REMOVED, request=request)


def owner_role_changed(
    membership: Membership, *, by: Actor, request: HttpRequest | None = None
) -> tuple[list[str], list[str]]:
    """The member's personal keys follow their new role down, so a demotion holds for the API
    too: a role that creates no keys (viewer) loses them, one that may not grant `manage`
    (member) loses that permission from them. Returns (ids revoked, ids that lost manage)."""
    keys = ApiKey.objects.for_organization(membership.organization_id).personal_of(membership.user)
    if not membership.can_create_keys:
        reason = f"owner's role changed to {membership.role}"
        return revoke_keys(keys, by=by, reason=reason, request=request), []
    if membership.can_grant_manage:
        return [], []
    narrowed = []
    for key in keys.filter(can_manage=True).locked():
        update_api_key(key=key, by=by, changes={"can_manage": False}, request=request)
        narrowed.append(key.public_id)
    return [], narrowed


class NotRotatable(Exception):
    """The key is revoked, already rotated, or expired: there is nothing to rotate."""


def rotated_expiry(key: ApiKey, *, now: datetime | None = None) -> datetime | None:
    """The successor's expiry: the old key's, shortened to what its organization now allows
    a new production key. A rotation is never refused for it: replacing a leaked key must
    always be possible, and the successor obeys the policy the old key predates."""
    latest = latest_expiry(key.environment, now=now)
    if latest is not None and (key.expires_at is None or key.expires_at > latest):
        return latest
    return key.expires_at


def rotate_api_key(
    *, key: ApiKey, by: Actor, grace_seconds: int = 0, request: HttpRequest | None = None
) -> tuple[ApiKey, str]:
    """Issue a successor with the same settings; the old key stops after `grace_seconds`.

    The successor keeps the old key's owner (a personal key stays its creator's, and goes
    with them when they leave); the audit event names who rotated it."""
    with transaction.atomic():
        # Locked and re-read, so two rotations at once cannot both issue a successor.
        key = (
            ApiKey.objects.select_for_update().select_related("environment__project").get(pk=key.pk)
        )
        if not key.is_rotatable:
            raise NotRotatable(f"{key.public_id} is {key.status} or already rotated.")
        expires_at = rotated_expiry(key)
        new, plaintext = ApiKey.issue(
            environment=key.environment,
            name=key.name,
            created_by=key.created_by,
            write=key.can_write,
            manage=key.can_manage,
            kind=key.kind,
            description=key.description,
            expires_at=expires_at,
            allowed_ips=key.allowed_ips,
            allowed_origins=key.allowed_origins,
            rate_limit=key.rate_limit,
            rotated_from=key,
        )
        at = timezone.now() + timedelta(seconds=grace_seconds)
        key.revoke(by=_user(by), reason="rotated", at=at)
        _record(
            key,
            Action.KEY_ROTATED,
            by=by,
            request=request,
            successor=new.public_id,
            successor_hint=new.hint,
            successor_expires_at=_jsonable(new.expires_at),
            grace_seconds=grace_seconds,
            old_key_stops_at=at.isoformat(),
        )
    return new, plaintext


EDITABLE = (
    "name",
    "description",
    "can_write",
    "can_manage",
    "allowed_ips",
    "allowed_origins",
    "rate_limit",
    "expires_at",
)


def _jsonable(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def update_api_key(
    *, key: ApiKey, by: Actor, changes: dict[str, Any], request: HttpRequest | None = None
) -> ApiKey:
    """Apply `changes` (fields of EDITABLE) and record them with before and after."""
    changed = {f: v for f, v in changes.items() if f in EDITABLE and getattr(key, f) != v}
    if not changed:
        return key
    if "expires_at" in changed:  # else editing the expiry would undo the limit
        check_lifetime(key.environment, changed["expires_at"])
    before = {f: _jsonable(getattr(key, f)) for f in changed}
    with transaction.atomic():
        for field, value in changed.items():
            setattr(key, field, value)
        fields = list(changed)
        if "expires_at" in changed:
            key.expiry_recorded = False  # a new expiry is recorded when it comes, too
            key.expiry_notice = None  # and announced again
            fields += ["expiry_recorded", "expiry_notice"]
        key.save(update_fields=fields)
        _record(
            key,
            Action.KEY_UPDATED,
            by=by,
            request=request,
            before=before,
            after={f: _jsonable(v) for f, v in changed.items()},
        )
    return key


def archive(
    *,
    target: Project | Environment,
    by: Actor,
    reason: str,
    request: HttpRequest | None = None,
) -> int:
    """Archive a project or an environment, in one transaction: it leaves the lists and takes
    no new key; every key inside not revoked yet is revoked now (each one recorded, as any
    revocation); nothing is deleted. Returns how many keys were revoked."""

    is_project = isinstance(target, Project)
    model = type(target)
    with transaction.atomic():
        # Locked, so two archivists do not both revoke and record.
        locked = model.objects.select_for_update().get(pk=target.pk)
        if locked.archived_at is not None:
            return 0
        now = timezone.now()
        model.objects.filter(pk=target.pk).update(
            archived_at=now, archived_by=_user(by), archived_reason=reason
        )
        target.refresh_from_db(fields=["archived_at", "archived_by", "archived_reason"])
        scope = {"environment__project": target} if is_project else {"environment": target}
        keys = ApiKey.objects.filter(**scope).exclude(revoked_at__lte=now)
        kind = "project" if is_project else "environment"
        reason_for_keys = f"{kind} {target.name} archived: {reason}"
        revoked = len(revoke_keys(keys, by=by, reason=reason_for_keys, request=request))
        record(
            action=Action.PROJECT_ARCHIVED if is_project else Action.ENVIRONMENT_ARCHIVED,
            actor=by,
            target=target,
            request=request,
            metadata={"reason": reason, "keys_revoked": revoked},
            **target.audit_scope,
        )
    return revoked
