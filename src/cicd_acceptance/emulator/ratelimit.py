"""Primary rate limits counted per token, with GitHub's ``x-ratelimit-*`` headers.

Each token has an hourly window that starts at its first counted request. 304 answers to conditional requests and
``GET /rate_limit`` are not charged (GitHub documents both). A fault can exhaust a bucket on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cicd_acceptance.emulator.auth import TokenInfo

__all__ = ["RateLimiter", "RateStatus"]

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class RateStatus:
    """One bucket's state, as the headers report it."""

    limit: int
    remaining: int
    used: int
    reset: int  # epoch seconds
    resource: str = "core"

    def headers(self) -> dict[str, str]:
        """The ``x-ratelimit-*`` response headers."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": self.resource,
        }


@dataclass
class _Bucket:
    used: int
    window_start: datetime


class RateLimiter:
    """Counts requests per token key within an hourly window on the emulated clock."""

    def __init__(self, *, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str) -> _Bucket:
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.window_start + WINDOW:
            bucket = self._buckets[key] = _Bucket(used=0, window_start=now)
        return bucket

    def _status(self, token: TokenInfo, bucket: _Bucket) -> RateStatus:
        reset = int((bucket.window_start + WINDOW).timestamp())
        used = min(bucket.used, token.limit)
        return RateStatus(limit=token.limit, remaining=token.limit - used, used=used, reset=reset)

    def peek(self, token: TokenInfo) -> RateStatus:
        """The bucket's state without charging."""
        with self._lock:
            return self._status(token, self._bucket(token.key))

    def charge(self, token: TokenInfo) -> RateStatus:
        """Count one request and return the state after it."""
        with self._lock:
            bucket = self._bucket(token.key)
            bucket.used += 1
            return self._status(token, bucket)

    def exhaust(self, token: TokenInfo) -> RateStatus:
        """Use up the bucket (the primary-limit fault)."""
        with self._lock:
            bucket = self._bucket(token.key)
            bucket.used = max(bucket.used, token.limit)
            return self._status(token, bucket)

    def reset(self) -> None:
        """Forget every bucket."""
        with self._lock:
            self._buckets.clear()
