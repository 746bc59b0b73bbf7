from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from keys.scheduled import run_scheduled_events, scheduled_events


class Command(BaseCommand):
    help = (
        "Queue the hourly scheduled events (key.expiring, key.expired, audit.checkpoint) for "
        "the task worker, which re-queues them; --now runs them here instead. Each event is "
        "sent once, so queueing twice is harmless."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="Run them now, in this process.")

    def handle(self, *args: Any, now: bool, **options: Any) -> None:
        if now:
            counts = run_scheduled_events()
            self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))
        else:
            scheduled_events.enqueue()
            self.stdout.write("Scheduled events queued for the task worker.")
