import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keys import tokens
from keys.leaks import known_keys, revoke_leaked
from keys.models import ApiKey, Status

# The key shape, not inside a longer run of key characters.
KEY_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z_]){tokens.KEY_RE.pattern}(?![0-9A-Za-z])")
LOOKUP_BATCH = 500


def files_under(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for folder, _, names in os.walk(path):
                for name in sorted(names):
                    yield Path(folder) / name
        else:
            yield path


def occurrences(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, key-shaped string with a valid checksum) in one file."""
    try:
        with path.open("rb") as f:
            for number, line in enumerate(f, 1):
                text = line.decode("ascii", errors="replace")
                for match in KEY_IN_TEXT.finditer(text):
                    if tokens.is_well_formed(match.group(0)):
                        yield number, match.group(0)
    except OSError:
        return


class Command(BaseCommand):
    help = (
        "Scan files and folders for Keydesk keys: prints file:line, hint, public id and status "
        "(never a whole key); exits 1 when a live key is found. --revoke revokes them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--revoke", action="store_true", help="Revoke every live key found.")
        parser.add_argument("--reason", help="Why (with --revoke), e.g. 'found in build logs'.")

    def handle(
        self, *args: Any, paths: list[str], revoke: bool, reason: str | None, **options: Any
    ) -> None:
        if revoke and not (reason or "").strip():
            raise CommandError("--revoke needs --reason TEXT.")
        if reason and not revoke:
            raise CommandError("--reason goes with --revoke.")
        roots = [Path(p) for p in paths]
        missing = [str(p) for p in roots if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")

        found = [
            (f"{path}:{n}", key) for path in files_under(roots) for n, key in occurrences(path)
        ]
        distinct = list(dict.fromkeys(key for _, key in found))
        keys: dict[str, ApiKey] = {}
        for start in range(0, len(distinct), LOOKUP_BATCH):
            keys.update(known_keys(distinct[start : start + LOOKUP_BATCH]))

        live = False
        for where, plaintext in found:
            key = keys.get(plaintext)
            if key is None:
                self.stdout.write(
                    f"{where}  {tokens.hint(plaintext)}  not a key of this deployment"
                )
                continue
            status: str = key.status
            if status == Status.ACTIVE:
                live = True
                if revoke:
                    revoke_leaked(
                        plaintexts=[plaintext],
                        source="find_keys",
                        reason=(reason or "").strip(),
                        where=where,
                    )
                    key.refresh_from_db(fields=["revoked_at", "revoked_reason"])
                    status = f"{key.status} (revoked now)"
            self.stdout.write(f"{where}  {key.hint}  {key.public_id}  {status}")
        if live:
            raise SystemExit(1)
