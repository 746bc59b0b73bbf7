"""The quickstart's progress, derived from what the organization already has.

The four steps follow one thread: the newest project, one environment of it, and one key of
that environment, so no step reports another project's progress."""

from functools import cached_property

from environments.models import Environment, Organization, Project
from keys.models import ApiKey, ApiKeyQuerySet


class Quickstart:
    def __init__(self, organization: Organization) -> None:
        self.organization = organization

    @cached_property
    def project(self) -> Project | None:
        """The newest project: the one steps 2 to 4 are about."""
        projects = Project.objects.for_organization(self.organization).in_use()
        return projects.order_by("-created_at").first()

    @cached_property
    def environment(self) -> Environment | None:
        """The project's environment that steps 3 and 4 are about: the one of its newest usable
        key, else its first environment that is not production (a first key should not be a
        live one), else its first."""
        if self.project is None:
            return None
        newest = self.keys.filter(environment__project=self.project).first()
        if newest is not None:
            return newest.environment
        environments = self.project.environments.in_use()
        return environments.order_by("is_production", "created_at", "id").first()

    @cached_property
    def key(self) -> ApiKey | None:
        """The newest usable key of that environment: never a key of another project."""
        if self.environment is None:
            return None
        return self.keys.filter(environment=self.environment).first()

    @property
    def keys(self) -> ApiKeyQuerySet:
        keys = ApiKey.objects.for_organization(self.organization).active().with_related()
        return keys.order_by("-created_at", "-id")

    @property
    def used(self) -> bool:
        return self.key is not None and self.key.last_used_at is not None

    @property
    def has_key(self) -> bool:
        return self.key is not None

    @property
    def steps(self) -> list[tuple[str, bool]]:
        return [
            ("Create a project", self.project is not None),
            ("Create an environment", self.environment is not None),
            ("Create an API key", self.has_key),
            ("Make your first request", self.used),
        ]

    @property
    def current(self) -> int:
        """The number of the first step not done yet (5 when all are)."""
        for number, (_, done) in enumerate(self.steps, start=1):
            if not done:
                return number
        return len(self.steps) + 1
