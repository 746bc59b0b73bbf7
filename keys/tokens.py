"""The key format of DESIGN.md section 3, with no database and no Django models.

    kd_<tag>_<40 random base62 chars><6-char checksum>

The checksum is zlib CRC32 of the ASCII text before it (`kd_live_` and the 40 random
characters), written as 6 base62 digits, most significant first, zero-padded, alphabet
`0-9A-Za-z`. CRC32 is below 2**32 < 62**6, so six digits always suffice. It lets anyone reject
a mistyped or made-up key without a lookup; it is not a secret and proves nothing on its own.
"""

import hashlib
import hmac
import re
import secrets
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TAGS = ("live", "test")
RANDOM_LENGTH = 40
CHECKSUM_LENGTH = 6
PUBLIC_ID_LENGTH = 16

KEY_RE = re.compile(rf"kd_(?:live|test)_[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")
PUBLIC_ID_RE = re.compile(rf"key_[0-9A-Za-z]{{{PUBLIC_ID_LENGTH}}}")
# Anything a log should never show: the shape, whether or not the checksum holds.
KEY_LIKE_RE = re.compile(r"kd_(?:live|test)_[0-9A-Za-z]{8,}")


def random_base62(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits))


def checksum(text: str) -> str:
    return base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


def generate(tag: str) -> str:
    if tag not in TAGS:
        raise ValueError(f"tag must be one of {TAGS}")
    body = f"kd_{tag}_{random_base62(RANDOM_LENGTH)}"
    return body + checksum(body)


def is_well_formed(key: object) -> bool:
    """Shape and checksum: true for every key Keydesk issued, false for almost any typo."""
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        return False
    body, check = key[:-CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(checksum(body), check)


def digest(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def hint(key: str) -> str:
    """All the UI ever shows of a key again: the first 12 and the last 4 characters."""
    return f"{key[:12]}…{key[-4:]}"


def public_id() -> str:
    return "key_" + random_base62(PUBLIC_ID_LENGTH)


def redact(text: str) -> str:
    return KEY_LIKE_RE.sub(lambda m: m.group(0)[:8] + "[redacted]", text)
