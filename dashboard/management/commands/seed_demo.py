import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from environments.models import (
    Environment,
    Organization,
    Project,
    create_environment,
    create_organization,
    create_project,
)


class Command(BaseCommand):
    help = "Create the demo user, organization, project and environments (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Set the demo user's password to this.")
        parser.add_argument("--url", help="Where the dashboard is served (`make run`), to print.")

    @transaction.atomic
    def handle(
        self, *args: Any, password: str | None = None, url: str | None = None, **options: Any
    ) -> None:
        user, created = User.objects.get_or_create(username="demo")
        if created or password:
            password = password or secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        # Only the demo user's own "demo": never join someone's real organization of that name.
        organization = (
            Organization.objects.for_user(user).filter(name="demo").order_by("pk").first()
        )
        if organization is None:
            organization = create_organization(name="demo", admin=user)
        project = Project.objects.filter(organization=organization, slug="demo").first()
        if project is None:
            project = create_project(organization=organization, name="demo", by=user)
        for name, is_production in (("development", False), ("production", True)):
            if not Environment.objects.filter(project=project, slug=name).exists():
                create_environment(project=project, name=name, is_production=is_production, by=user)
        # The one thing `make run` has to say: where to go and how to sign in.
        self.stdout.write("")
        if url:
            self.stdout.write(f"  Keydesk   {url}")
        self.stdout.write("  User      demo")
        if password:
            self.stdout.write(f"  Password  {password}")
        else:
            self.stdout.write(
                "  Password  unchanged since it was first printed (set one: --password, "
                "or make run DEMO_PASSWORD=...)"
            )
        self.stdout.write("")
