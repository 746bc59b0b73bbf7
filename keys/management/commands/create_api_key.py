from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from environments.models import Environment
from keys.models import InvalidExpiry, Kind, LifetimeTooLong, expiry_in, issue_api_key
from keys.text import NAME_MAX, InvalidText, clean_text


class Command(BaseCommand):
    help = "Issue a service key and print it, alone, on stdout (the only time it is shown)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--environment", required=True, help="Environment slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--write", action="store_true", help="Grant write as well as read.")
        parser.add_argument("--manage", action="store_true", help="Grant key management.")
        parser.add_argument("--expires-in", type=int, metavar="DAYS")
        parser.add_argument(
            "--organization",
            help="Organization slug; needed only when the project slug exists in several.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            name = clean_text(options["name"], max_length=NAME_MAX)
        except InvalidText as problem:
            raise CommandError(f"--name: the name {problem}.") from None
        environments = Environment.objects.select_related("project").filter(
            project__slug=options["project"], slug=options["environment"]
        )
        if options["organization"]:
            environments = environments.filter(project__organization__slug=options["organization"])
        found = list(environments[:2])
        if not found:
            raise CommandError(
                f"No environment {options['environment']!r} in project {options['project']!r}."
            )
        if len(found) > 1:
            raise CommandError(
                f"Project {options['project']!r} exists in several organizations: "
                "name one with --organization."
            )
        try:
            expires_at = expiry_in(options["expires_in"])
        except InvalidExpiry as problem:
            raise CommandError(f"--expires-in: the expiry {problem}.") from None
        try:
            _, plaintext = issue_api_key(
                environment=found[0],
                name=name,
                by=None,
                kind=Kind.SERVICE,
                write=options["write"],
                manage=options["manage"],
                expires_at=expires_at,
            )
        except LifetimeTooLong as problem:
            raise CommandError(
                f"--expires-in: production keys of this organization expire within"
                f" {problem.days} days: give --expires-in {problem.days} or less."
            ) from None
        self.stdout.write(plaintext)
