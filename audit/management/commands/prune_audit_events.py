from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import chains_to_check, prune_chain, prune_cutoff, retention_days


class Command(BaseCommand):
    help = (
        "An event is kept at least AUDIT_RETENTION_DAYS days (or --days); delete the older "
        "ones, oldest first, leaving in each chain a checkpoint event that carries the last "
        "pruned hash, so the rest still verifies. 0 keeps every event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="Keep this many days (default: setting).")
        parser.add_argument("--organization", help="Only this organization's chain (its slug).")
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(
        self,
        *args: Any,
        days: int | None = None,
        organization: str | None = None,
        dry_run: bool = False,
        **options: Any,
    ) -> None:
        days = retention_days() if days is None else days
        if not days:
            self.stdout.write("Retention is off (AUDIT_RETENTION_DAYS is 0): every event is kept.")
            return
        if days < 1:
            raise CommandError("--days must be at least 1.")
        try:
            chains = chains_to_check(organization)
        except LookupError as error:
            raise CommandError(str(error)) from None
        cutoff = prune_cutoff(days)
        total = 0
        for organization_id in chains:
            label = (
                "no organization" if organization_id is None else f"organization {organization_id}"
            )
            pruned = prune_chain(organization_id, older_than=cutoff, dry_run=dry_run)
            if pruned is None:
                self.stdout.write(f"{label}: nothing older than {cutoff:%Y-%m-%d %H:%M} UTC")
                continue
            total += pruned.events
            if pruned.checkpoint is None:  # a dry run
                self.stdout.write(f"{label}: would prune {pruned.events} events")
            else:
                self.stdout.write(
                    f"{label}: pruned {pruned.events} events through event "
                    f"{pruned.last_pruned_id}; checkpoint event {pruned.checkpoint.pk}"
                )
        verb = "Would prune" if dry_run else "Pruned"
        self.stdout.write(self.style.SUCCESS(f"{verb} {total} events older than {days} days."))
