"""The quickstart's progress, derived from what the organization already has."""

from functools import cached_property

from environments.models import Project
from keys.models import ApiKey


class Quickstart:
    def __init__(self, organization):
        self.organization = organization

    @cached_property
    def project(self):
        """The newest project: the one steps 2 to 4 are about."""
        return Project.objects.for_organization(self.organization).order_by("-created_at").first()

    @cached_property
    def environment(self):
        if self.project is None:
            return None
        return self.project.environments.order_by("-created_at").first()

    @cached_property
    def key(self):
        """The newest key of the organization still usable."""
        keys = ApiKey.objects.for_organization(self.organization).active().with_related()
        return keys.order_by("-created_at", "-id").first()

    @property
    def used(self):
        return self.key is not None and self.key.last_used_at is not None

    @property
    def has_key(self):
        return self.key is not None

    @property
    def steps(self):
        return [
            ("Create a project", self.project is not None),
            ("Create an environment", self.environment is not None),
            ("Create an API key", self.has_key),
            ("Make your first request", self.used),
        ]

    @property
    def current(self):
        """The number of the first step not done yet (5 when all are)."""
        for number, (_, done) in enumerate(self.steps, start=1):
            if not done:
                return number
        return len(self.steps) + 1
