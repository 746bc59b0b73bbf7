"""API keys: issued once, stored only as a digest, and known afterwards by their hint."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from audit.models import Action, record
from keys import tokens


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


def digest(key):
    """The stored form of a key, under the current KEY_HASH_SECRET."""
    return tokens.digest(key, settings.KEY_HASH_SECRETS[0])


def candidate_digests(key):
    """The key's digest under every configured secret, so keys survive a secret rotation."""
    return [tokens.digest(key, secret) for secret in settings.KEY_HASH_SECRETS]


class ApiKeyQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(environment__project__organization__memberships__user=user)

    def for_organization(self, organization):
        return self.filter(environment__project__organization=organization)

    def revoked(self):
        return self.filter(revoked_at__isnull=False)

    def expired(self):
        return self.filter(revoked_at__isnull=True, expires_at__lte=timezone.now())

    def active(self):
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=timezone.now())

    def with_related(self):
        return self.select_related("environment__project", "created_by")


class ApiKey(models.Model):
    public_id = models.CharField(max_length=20, unique=True, editable=False)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    environment = models.ForeignKey(
        "environments.Environment", on_delete=models.PROTECT, related_name="api_keys"
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
    rate_limit = models.PositiveIntegerField(null=True, blank=True)

    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=20, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
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

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.hint})"

    @classmethod
    def issue(cls, *, environment, name, created_by=None, write=False, manage=False, **fields):
        """Make a new key. Returns (key, plaintext): the plaintext is never stored anywhere."""
        plaintext = tokens.generate(environment.key_tag)
        key = cls.objects.create(
            public_id=tokens.public_id(),
            environment=environment,
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
    def permissions(self):
        granted = [Permission.READ.value]
        if self.can_write:
            granted.append(Permission.WRITE.value)
        if self.can_manage:
            granted.append(Permission.MANAGE.value)
        return granted

    @property
    def status(self):
        if self.revoked_at is not None:
            return Status.REVOKED
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return Status.EXPIRED
        return Status.ACTIVE

    @property
    def is_usable(self):
        return self.status == Status.ACTIVE

    def revoke(self, *, by=None, reason=""):
        """Stop the key for good; the record stays. Returns False if it was already revoked."""
        updated = ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by, revoked_reason=reason[:200]
        )
        self.refresh_from_db(fields=["revoked_at", "revoked_by", "revoked_reason"])
        return bool(updated)


def issue_api_key(
    *,
    environment,
    name,
    by,
    kind=Kind.PERSONAL,
    write=False,
    manage=False,
    expires_at=None,
    description="",
    request=None,
):
    """Issue a key and record it, in one transaction. `by` is a user, or None for a command."""
    with transaction.atomic():
        key, plaintext = ApiKey.issue(
            environment=environment,
            name=name,
            created_by=by,
            kind=kind,
            write=write,
            manage=manage,
            expires_at=expires_at,
            description=description,
        )
        record(
            action=Action.KEY_CREATED,
            organization=environment.project.organization_id,
            actor=by,
            target=key,
            project=environment.project_id,
            environment=environment,
            request=request,
            metadata={
                "hint": key.hint,
                "kind": key.kind,
                "permissions": key.permissions,
                "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            },
        )
    return key, plaintext


def revoke_api_key(*, key, by, reason, request=None):
    """Revoke a key and record it, in one transaction. `by` is a user, or None for a command."""
    with transaction.atomic():
        if not key.revoke(by=by, reason=reason):
            return False
        environment = key.environment
        record(
            action=Action.KEY_REVOKED,
            organization=environment.project.organization_id,
            actor=by,
            target=key,
            project=environment.project_id,
            environment=environment,
            request=request,
            metadata={"hint": key.hint, "reason": reason},
        )
    return True
