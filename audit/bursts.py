"""Bursts: many of one thing in a short window, counted in the shared cache (Redis when
REDIS_URL is set, so every worker and host counts together), reported once per burst."""

import hashlib
import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)
_outage_logged = False  # one log line per process per outage


def observe(kind: str, subject: str, *, threshold: int, window: int) -> int | None:
    """Count one occurrence of `kind` for `subject`; the count when it completes a burst
    (`threshold` within a `window`-second bucket) that was not reported in the last window,
    else None. Only that one caller records the burst: `cache.add` picks it."""
    tag = hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()[:32]  # any text, bounded
    counter = f"kd:burst:{tag}:{int(time.time() // window)}"
    try:
        try:
            count = cache.incr(counter)
        except ValueError:  # a new bucket
            count = 1 if cache.add(counter, 1, timeout=2 * window) else cache.incr(counter)
        if count >= threshold and cache.add(f"kd:burst:{tag}:reported", 1, timeout=window):
            return count
    except Exception as error:
        # Bursts go unnoticed meanwhile; the request they count is answered all the same.
        global _outage_logged
        if not _outage_logged:
            # At info: keys.counters already warns of the outage, once.
            logger.info("Burst counting is off: the cache is unreachable (%s).", error)
            _outage_logged = True
        return None
    _outage_logged = False
    return None
