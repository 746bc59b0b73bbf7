"""Masking secrets before they are written anywhere: a log line or an audit event.

Plain Python, importing nothing of Django or of any model: the log filter
(`keys.logging.RedactKeys`) loads it while logging is configured, before the apps are ready.
"""

import re
from typing import Any, overload

# Anything shaped like a Keydesk key, whether or not its checksum holds.
KEY_LIKE_RE = re.compile(r"kd_(?:live|test)_[0-9A-Za-z]{8,}")
KEPT = len("kd_live_")  # what stays readable: the prefix, which says a key was there


def mask(text: str) -> str:
    """`text` with anything shaped like a key cut to its prefix and `[redacted]`."""
    return KEY_LIKE_RE.sub(lambda m: m.group(0)[:KEPT] + "[redacted]", text)


@overload
def redact(value: str) -> str: ...
@overload
def redact[T](value: T) -> T: ...
def redact(value: Any) -> Any:
    """`value` with anything shaped like a key masked, through lists and dicts."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
