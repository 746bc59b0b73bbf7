"""Bursts: many of one thing in a short window, counted in the shared cache (Redis when
REDIS_URL is set, so every worker and host counts together), reported once per burst."""

import hashlib
import time

from django.core.cache import cache


def observe(kind: str, subject: str, *, threshold: int, window: int) -> int | None:
    """Count one occurrence of `kind` for `subject`; the count when it completes a burst
    (`threshold` within a `window`-second bucket) that was not reported in the last window,
    else None. Only that one caller records the burst: `cache.add` picks it."""
    tag = hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()[:32]  # any text, bounded
    counter = f"kd:burst:{tag}:{int(time.time() // window)}"
    try:
        count = cache.incr(counter)
    except ValueError:  # a new bucket
        count = 1 if cache.add(counter, 1, timeout=2 * window) else cache.incr(counter)
    if count >= threshold and cache.add(f"kd:burst:{tag}:reported", 1, timeout=window):
        return count
    return None
