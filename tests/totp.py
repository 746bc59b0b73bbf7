"""RFC 6238 codes (SHA-1, 6 digits, 30 s), computed here as an authenticator app would."""

import base64
import hashlib
import hmac
import struct
import time


def totp(secret, at=None):
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_totp(secret):
    """A code with a few seconds of its window left, so it is still valid when it arrives."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp(secret)
