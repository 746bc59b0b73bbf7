"""detect-secrets plugin: Keydesk API keys, checksum checked.

    detect-secrets scan --plugin keys/scanners/detect_secrets_keydesk.py

Self-contained (detect-secrets loads it by path, in any repository): the key format of
DESIGN.md section 3 is restated here, and a test holds it to keys/tokens.py.
`kd_<live|test>_<40 base62><6-char checksum>`, the checksum being zlib CRC32 of the text before
it in 6 base62 digits (0-9A-Za-z), most significant first. A string of the right shape whose
checksum fails is a lookalike (a placeholder, a typo, a forgery) and is not reported.
"""

import re
import zlib
from collections.abc import Generator

from detect_secrets.plugins.base import RegexBasedDetector

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY = re.compile(r"(?<![0-9A-Za-z_])kd_(?:live|test)_[0-9A-Za-z]{46}(?![0-9A-Za-z])")


def checksum_holds(key: str) -> bool:
    body, check = key[:-6], key[-6:]
    number, digits = zlib.crc32(body.encode("ascii")), []
    for _ in range(6):
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)) == check


class KeydeskKeyDetector(RegexBasedDetector):
    """Scans for Keydesk API keys (kd_live_…, kd_test_…) with a valid checksum."""

    secret_type = "Keydesk API Key"  # noqa: S105 - the finding's name, not a secret
    denylist = (KEY,)

    def analyze_string(self, string: str) -> Generator[str]:
        for match in super().analyze_string(string):
            if checksum_holds(match):
                yield match
