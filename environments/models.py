"""Tenancy: organizations, their members, projects and environments.

Every query a view makes starts from the organization the request is in,
`for_organization(request.membership.organization)` (the access decorator resolves the
membership), so an access check cannot be forgotten: anything outside answers 404.
`for_user(user)` spans every organization the user belongs to: what the organization switcher
and the commands ask, never a view inside one organization.
"""

from typing import Any, Self

from django.conf import settings
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.text import slugify

from audit.chain import record
from audit.models import Action, AuditEvent


def unique_slug(name: str, taken: models.QuerySet[Any], *, fallback: str) -> str:
    """A slug for `name` that is not in the queryset `taken` (which filters on slug)."""
    base = slugify(name)[:40] or fallback
    slug, n = base, 2
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def same_name(name: str) -> models.Q:
    """The rows another one named `name` would be confused with: the same name in any case, or
    the same slug (which URLs use). Names are unique wherever slugs are."""
    condition = models.Q(name__iexact=name.strip())
    if slugify(name)[:40]:
        condition |= models.Q(slug=slugify(name)[:40])
    return condition


MAX_KEY_DAYS = 3650  # ten years: any longer limit is no limit


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"  # an API manager: every key, but not people or the audit log
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def for_user(self, user: User) -> Self:
        """In every organization `user` belongs to (views use for_organization)."""
        return self.filter(memberships__user=user)

    def requiring_two_factor(self) -> Self:
        return self.filter(require_two_factor=True)

    def allowing_email(self, email: str) -> list["Organization"]:
        """The organizations a newcomer with this (provider-verified) address joins: those that
        list its domain, matched exactly (a JSON list: filtered here, the same on every
        database; few organizations list any domain)."""
        domain = email.rpartition("@")[2].strip().lower()
        if "@" not in email or not domain:
            return []
        listing = self.exclude(allowed_email_domains=[])
        return [org for org in listing if domain in org.allowed_email_domains]


class Organization(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Members set up a second factor before anything else (dashboard.middleware).
    require_two_factor = models.BooleanField("Require two-factor authentication", default=False)
    # Like GitHub's fine-grained token policy: every new production key expires within this
    # many days (keys/models.py `check_lifetime`); blank, no limit.
    max_production_key_days = models.PositiveIntegerField(
        "Maximum lifetime of new production keys (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_KEY_DAYS)],
    )
    # Newcomers through single sign-on whose provider verified an address at one of these
    # domains join as viewers (dashboard.sso); normalised by dashboard.forms.DomainListField.
    allowed_email_domains = models.JSONField("Allowed email domains", default=list, blank=True)

    objects = OrganizationQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


def update_organization(
    *,
    organization: Organization,
    by: User,
    changes: dict[str, Any],
    request: HttpRequest | None = None,
) -> Organization:
    """Change an organization's settings (`changes`: field -> value), recorded with before
    and after; nothing is recorded when nothing changes."""
    before = {field: getattr(organization, field) for field in changes}
    changed = {field: value for field, value in changes.items() if before[field] != value}
    if not changed:
        return organization
    with transaction.atomic():
        for field, value in changed.items():
            setattr(organization, field, value)
        organization.save(update_fields=list(changed))
        record(
            action=Action.ORGANIZATION_UPDATED,
            organization=organization,
            actor=by,
            target=organization,
            request=request,
            metadata={"before": {f: before[f] for f in changed}, "after": changed},
        )
    return organization


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user: User) -> Self:
        """In every organization `user` belongs to (views use for_organization)."""
        return self.filter(user=user).select_related("organization")

    def for_organization(self, organization: Organization | int) -> Self:
        return self.filter(organization=organization)

    def admins(self) -> Self:
        return self.filter(role=Role.ADMIN)


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    # The role matrix of DESIGN.md sections 7 and 11, in one place.
    @property
    def can_create_keys(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER, Role.MEMBER)

    @property
    def can_create_projects(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER, Role.MEMBER)

    @property
    def manages_keys(self) -> bool:
        """The all-keys page; revoking, editing and rotating anyone's keys."""
        return self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def can_grant_manage(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_last_admin(self) -> bool:
        """The organization's only admin, whom it cannot lose (dashboard/members.py)."""
        admins = Membership.objects.for_organization(self.organization_id).admins()
        return self.is_admin and not admins.exclude(pk=self.pk).exists()

    def record_event(
        self, action: str, *, by: User, request: HttpRequest | None = None, **metadata: Any
    ) -> AuditEvent:
        """Record `action` on this membership in its organization's chain, naming the member."""
        return record(
            action=action,
            organization=self.organization,
            actor=by,
            target=self.user,
            request=request,
            metadata={"username": self.user.get_username(), **metadata},
        )


def add_membership(
    *,
    organization: Organization,
    user: User,
    role: str,
    by: User,
    request: HttpRequest | None = None,
    **metadata: Any,
) -> Membership:
    """Make `user` a member of `organization` with `role`, recorded (`metadata`: how they came)."""
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    membership.record_event(Action.MEMBER_ADDED, by=by, request=request, role=role, **metadata)
    return membership


class Archivable(models.Model):
    """Who made a project or an environment, and its archiving: archived, it is hidden from
    lists and closed to new keys, every record kept (keys/models.py `archive` revokes the keys
    inside)."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True


class ProjectQuerySet(models.QuerySet["Project"]):
    def for_user(self, user: User) -> Self:
        """In every organization `user` belongs to (views use for_organization)."""
        return self.filter(organization__memberships__user=user)

    def for_organization(self, organization: Organization | int) -> Self:
        return self.filter(organization=organization)

    def named(self, name: str) -> Self:
        return self.filter(same_name(name))

    def in_use(self) -> Self:
        """Not archived."""
        return self.filter(archived_at__isnull=True)

    def with_environments_in_use(self) -> Self:
        """With each project's `environments` fetched at once, the archived ones left out."""
        in_use = Environment.objects.filter(archived_at__isnull=True)
        return self.prefetch_related(models.Prefetch("environments", queryset=in_use))


class Project(Archivable):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="project_slug_in_org")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def audit_scope(self) -> dict[str, Any]:
        """Where an event about this project stands in the log (`audit.chain.record`'s keywords)."""
        return {"organization": self.organization_id, "project": self}


class EnvironmentQuerySet(models.QuerySet["Environment"]):
    def for_user(self, user: User) -> Self:
        """In every organization `user` belongs to (views use for_organization)."""
        return self.filter(project__organization__memberships__user=user)

    def for_organization(self, organization: Organization | int) -> Self:
        return self.filter(project__organization=organization)

    def named(self, name: str) -> Self:
        return self.filter(same_name(name))

    def in_use(self) -> Self:
        """Neither archived nor in an archived project."""
        return self.filter(archived_at__isnull=True, project__archived_at__isnull=True)


class Environment(Archivable):
    DEFAULT_RATE_LIMIT = 600  # requests per key per minute, unless the key says otherwise

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="environments")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)
    is_production = models.BooleanField(default=False)
    default_rate_limit = models.PositiveIntegerField(default=DEFAULT_RATE_LIMIT)

    objects = EnvironmentQuerySet.as_manager()

    class Meta:
        ordering = ["-is_production", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="environment_slug_in_project")
        ]

    def __str__(self) -> str:
        return f"{self.project.name} / {self.name}"

    @property
    def organization(self) -> Organization:
        return self.project.organization

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None or self.project.archived_at is not None

    @property
    def audit_scope(self) -> dict[str, Any]:
        """Where an event about this environment (or a key in it) stands in the log."""
        return {
            "organization": self.project.organization_id,
            "project": self.project,
            "environment": self,
        }

    @property
    def key_tag(self) -> str:
        """The tag every key of this environment carries, so a leaked key says where it works."""
        return "live" if self.is_production else "test"


class EnvironmentTag(models.Model):
    """A `key=value` label on an environment (`team=payments`, `region=eu`), to find keys by.

    Rows rather than a JSON column: filtering keys by a tag is then an indexed join that reads
    the same on SQLite and PostgreSQL (SQLite has no JSON containment lookup). Tags arrive
    clean (keys/text.py `clean_tag`, through the form)."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=32)
    value = models.CharField(max_length=64)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "key"], name="one_value_per_tag_key")
        ]
        indexes = [models.Index(fields=["key", "value"], name="environment_tag_lookup")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


def set_tags(
    *,
    environment: Environment,
    tags: dict[str, str],
    by: User,
    request: HttpRequest | None = None,
) -> bool:
    """Replace the environment's tags with `tags` ({key: value}), audited with before and
    after; nothing is written or recorded when nothing changes."""
    with transaction.atomic():
        # The environment's row, locked, serialises two editors (locking the tags would not:
        # an environment with none has no row to lock).
        Environment.objects.select_for_update().filter(pk=environment.pk).first()
        current = EnvironmentTag.objects.filter(environment=environment)
        before = {t.key: t.value for t in current}
        if before == tags:
            return False
        current.delete()
        EnvironmentTag.objects.bulk_create(
            EnvironmentTag(environment=environment, key=k, value=v) for k, v in sorted(tags.items())
        )
        record(
            action=Action.ENVIRONMENT_TAGS_CHANGED,
            actor=by,
            target=environment,
            request=request,
            metadata={"before": before, "after": tags},
            **environment.audit_scope,
        )
    return True


def create_organization(
    *, name: str, admin: User, request: HttpRequest | None = None
) -> Organization:
    """A new organization with `admin` as its first admin; records the sign-up."""
    with transaction.atomic():
        organization = Organization.objects.create(
            name=name, slug=unique_slug(name, Organization.objects.all(), fallback="org")
        )
        Membership.objects.create(organization=organization, user=admin, role=Role.ADMIN)
        record(
            action=Action.SIGN_UP,
            organization=organization,
            actor=admin,
            target=organization,
            request=request,
        )
    return organization


def create_project(
    *, organization: Organization, name: str, by: User, request: HttpRequest | None = None
) -> Project:
    with transaction.atomic():
        project = Project.objects.create(
            organization=organization,
            name=name,
            slug=unique_slug(name, organization.projects.all(), fallback="project"),
            created_by=by,
        )
        record(
            action=Action.PROJECT_CREATED,
            actor=by,
            target=project,
            request=request,
            **project.audit_scope,
        )
    return project


def create_environment(
    *,
    project: Project,
    name: str,
    is_production: bool = False,
    by: User,
    request: HttpRequest | None = None,
) -> Environment:
    with transaction.atomic():
        environment = Environment.objects.create(
            project=project,
            name=name,
            slug=unique_slug(name, project.environments.all(), fallback="env"),
            is_production=is_production,
            created_by=by,
        )
        record(
            action=Action.ENVIRONMENT_CREATED,
            actor=by,
            target=environment,
            request=request,
            metadata={"is_production": is_production},
            **environment.audit_scope,
        )
    return environment


def rename(
    *, target: Project | Environment, name: str, by: User, request: HttpRequest | None = None
) -> None:
    """Rename a project or an environment (its slug, in URLs and in verify answers, stays)."""
    renamed = Action.PROJECT_RENAMED if isinstance(target, Project) else Action.ENVIRONMENT_RENAMED
    with transaction.atomic():
        before = target.name
        target.name = name
        target.save(update_fields=["name"])
        record(
            action=renamed,
            actor=by,
            target=target,
            request=request,
            metadata={"before": {"name": before}, "after": {"name": name}},
            **target.audit_scope,
        )
