"""Rate-limit and usage counters, shared through Redis when there is one.

Rate limits count over a sliding window log: a request is let through when fewer than `limit`
requests were let through in the 60 seconds before it, so no 60 seconds, wherever they start,
ever see more than `limit` (a fixed window let twice the limit through around a minute's
boundary). With Redis, one Lua script per request does the window and the usage count in one
round trip, timed by Redis's clock, so every host counts alike whatever its own clock says.

No key state lives here: when Redis cannot be reached, each process counts on its own (limits
become per process, usage counts of the outage may be lost) and tries Redis again a few seconds
later. The outage is logged once per process, and so is its end.
"""

import logging
import math
import os
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

WINDOW = 60  # seconds
RETRY_SHARED_AFTER = 5  # seconds of per-process counting before Redis is tried again
USAGE_TTL = 2 * 86400

# KEYS: the key's window, its usage counter for today. ARGV: window (s), limit, a unique
# member, whether to count a use, the usage counter's time to live (s).
# Returns [allowed, used, microseconds until a slot frees].
SLIDING_WINDOW_LUA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local window = tonumber(ARGV[1]) * 1000000
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local allowed = 0
if used < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  used = used + 1
  allowed = 1
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
if allowed == 1 and ARGV[4] == '1' then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
return {allowed, used, reset}
"""


@dataclass(frozen=True, slots=True)
class Count:
    allowed: bool
    used: int
    reset: int  # whole seconds until one more request would be let through


class LocalCounters:
    """This process's own windows and usage counts (no Redis, or Redis unreachable)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: defaultdict[int | str, deque[float]] = defaultdict(deque)
        self.uses: defaultdict[str, int] = defaultdict(int)

    def hit(self, key_pk: int | str, limit: int, *, use_counter: str | None) -> Count:
        now = time.monotonic()
        with self.lock:
            window = self.windows[key_pk]
            while window and window[0] <= now - WINDOW:
                window.popleft()
            allowed = len(window) < limit
            if allowed:
                window.append(now)
                if use_counter:
                    self.uses[use_counter] += 1
            if len(self.windows) > 10_000:  # forget keys idle for a whole window
                for idle in [k for k, w in self.windows.items() if not w or w[-1] <= now - WINDOW]:
                    del self.windows[idle]
            reset = window[0] + WINDOW - now if window else WINDOW
        return Count(allowed, len(window), max(math.ceil(reset), 1))

    def take_uses(self, counter: str) -> int:
        with self.lock:
            return self.uses.pop(counter, 0)

    def give_back(self, counter: str, count: int) -> None:
        with self.lock:
            self.uses[counter] += count

    def peek_uses(self, names: list[str]) -> dict[str, int]:
        with self.lock:
            return {name: self.uses[name] for name in names if self.uses.get(name)}


class SharedCounters:
    """The same, in Redis, for every worker and host."""

    def __init__(self, redis_cache: RedisCache) -> None:
        self.cache = redis_cache
        self.script: Any = None
        self.clients = threading.local()

    @property
    def client(self) -> Any:
        """This thread's client, on a connection of its own.

        Django's backend builds a new client (with its table of ~170 reply callbacks) on every
        call, and its pool checks a connection out and in again around every command; together
        they cost more than the round trip. A connection Redis has closed (a restart) fails
        its next command: that command is sent once more, on a new connection."""
        client = getattr(self.clients, "client", None)
        if client is None:
            # Django's Redis backend has no public way to run a script; its pool is the way in.
            backend: Any = self.cache._cache
            client = backend._client(
                connection_pool=backend._get_connection_pool(write=True),
                single_connection_client=True,
            )
            client.connection.retry = Retry(NoBackoff(), 1, (RedisConnectionError,))
            self.clients.client = client
        return client

    def hit(self, key_pk: int | str, limit: int, *, use_counter: str | None) -> Count:
        if self.script is None:
            self.script = self.client.register_script(SLIDING_WINDOW_LUA)
        # make_key: these names are ours, and validating them costs more than the rest here.
        keys = [self.cache.make_key(f"kd:rl:{key_pk}")]
        keys.append(self.cache.make_key(use_counter or "kd:use:none"))
        member = os.urandom(6).hex()
        allowed, used, reset = self.script(
            keys=keys,
            args=[WINDOW, limit, member, int(bool(use_counter)), USAGE_TTL],
            client=self.client,
        )
        return Count(bool(allowed), int(used), max(math.ceil(int(reset) / 1_000_000), 1))

    def take_uses(self, counter: str) -> int:
        return int(self.client.getdel(self.cache.make_key(counter)) or 0)

    def give_back(self, counter: str, count: int) -> None:
        key = self.cache.make_key(counter)
        self.client.incrby(key, count)
        self.client.expire(key, USAGE_TTL)

    def peek_uses(self, names: list[str]) -> dict[str, int]:
        values = self.client.mget([self.cache.make_key(n) for n in names])
        return {name: int(value) for name, value in zip(names, values, strict=True) if value}


class Counters:
    """Shared counting while Redis answers, this process's own while it does not."""

    def __init__(self) -> None:
        self.local = LocalCounters()
        self.backend: object = None
        self.shared: SharedCounters | None = None
        self.retry_at: float | None = None  # monotonic time to try Redis again; None while up

    def shared_counters(self) -> SharedCounters | None:
        backend = caches["default"]  # looked up each time: settings may change it (tests)
        if backend is not self.backend:
            self.backend = backend
            self.shared = SharedCounters(backend) if isinstance(backend, RedisCache) else None
        return self.shared

    def reset(self) -> None:
        """Forget every local count (tests)."""
        self.local = LocalCounters()
        self.retry_at = None

    @property
    def degraded(self) -> bool:
        return self.retry_at is not None

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        shared = self.shared_counters()
        if shared is not None and (self.retry_at is None or time.monotonic() >= self.retry_at):
            try:
                result = getattr(shared, method)(*args, **kwargs)
            except (RedisError, OSError) as error:
                if self.retry_at is None:
                    logger.warning(
                        "Redis is unreachable (%s): rate limits and usage counts are kept "
                        "per process until it answers again.",
                        type(error).__name__,
                    )
                self.retry_at = time.monotonic() + RETRY_SHARED_AFTER
            else:
                if self.retry_at is not None:
                    logger.warning("Redis answers again: rate limits are shared again.")
                    self.retry_at = None
                return result
        return getattr(self.local, method)(*args, **kwargs)

    def hit(self, key_pk: int | str, limit: int, *, use_counter: str | None = None) -> Count:
        """Count one request of a key against `limit` a minute, and a use when let through."""
        count: Count = self._call("hit", key_pk, limit, use_counter=use_counter)
        return count

    def take_uses(self, counter: str) -> int:
        """The uses counted under `counter`, removed from it (to be written to the database)."""
        taken: int = self._call("take_uses", counter)
        return taken

    def give_back(self, counter: str, count: int) -> None:
        """Put back uses whose write failed, for the next write to carry."""
        self._call("give_back", counter, count)

    def peek_uses(self, names: list[str]) -> dict[str, int]:
        """The uses counted under `names` and not yet written (for pages that show use)."""
        found: dict[str, int] = self._call("peek_uses", names)
        return found


counters = Counters()
