from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keys.models import ApiKey, revoke_api_key
from keys.text import REASON_MAX, InvalidText, clean_text


class Command(BaseCommand):
    help = "Revoke a key by its public id (key_…); it fails verification from the next request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id", help="The key's public id, e.g. key_AbCd1234EfGh5678.")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, key_id: str, reason: str, **options: Any) -> None:
        try:
            reason = clean_text(reason, max_length=REASON_MAX)
        except InvalidText as problem:
            raise CommandError(f"--reason: the reason {problem}.") from None
        key = ApiKey.objects.select_related("environment__project").filter(public_id=key_id).first()
        if key is None:
            raise CommandError(f"No key {key_id!r}.")
        if not revoke_api_key(key=key, by=None, reason=reason):
            raise CommandError(f"Key {key_id} was already revoked on {key.revoked_at:%Y-%m-%d}.")
        self.stdout.write(f"Revoked {key.public_id} ({key.hint}).")
