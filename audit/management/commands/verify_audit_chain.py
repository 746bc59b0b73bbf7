from django.core.management.base import BaseCommand, CommandError

from audit.models import chain_ids, verify_chain


class Command(BaseCommand):
    help = "Recompute every audit chain; exit non-zero naming the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Only this organization's chain (its slug).")

    def handle(self, *args, organization=None, **options):
        if organization:
            from django.apps import apps

            org = apps.get_model("environments", "Organization").objects.filter(slug=organization)
            org = org.first()
            if org is None:
                raise CommandError(f"No organization {organization!r}.")
            chains = [org.pk]
        else:
            chains = chain_ids()
        for organization_id in chains:
            problem = verify_chain(organization_id)
            label = (
                "no organization" if organization_id is None else f"organization {organization_id}"
            )
            if problem:
                raise CommandError(f"Audit chain of {label} is broken at {problem}")
            self.stdout.write(f"{label}: intact")
        self.stdout.write(self.style.SUCCESS(f"{len(chains)} chain(s) verified."))
