from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import chains_to_check, verify_and_keep


class Command(BaseCommand):
    help = (
        "Recompute every audit chain (or one organization's); exit non-zero naming the first "
        "broken event of each broken chain. The outcome shows on the review page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Only this organization's chain (its slug).")

    def handle(self, *args: Any, organization: str | None = None, **options: Any) -> None:
        try:
            chains = chains_to_check(organization)
        except LookupError as error:
            raise CommandError(str(error)) from None
        broken = []
        for organization_id in chains:
            head = verify_and_keep(organization_id, by="verify_audit_chain")
            label = (
                "no organization" if organization_id is None else f"organization {organization_id}"
            )
            if head.verified_problem:
                broken.append(f"Audit chain of {label} is broken at {head.verified_problem}")
                self.stderr.write(broken[-1])
            else:
                self.stdout.write(f"{label}: intact ({head.verified_events} events)")
        if broken:
            raise CommandError(broken[0])
        self.stdout.write(self.style.SUCCESS(f"{len(chains)} chain(s) verified."))
