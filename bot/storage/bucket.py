"""The token bucket behind the bulk send budget, as arithmetic on one stored row (tokens, updated_at), so
that every backend keeps it in its database and all replicas share it."""

from __future__ import annotations

BULK_BUCKET = "bulk"


def refill(tokens: float, updated_at: float, now: float, rate: float, burst: int) -> tuple[float, float, float]:
    """The bucket after a request at `now`: (tokens left, seconds to wait (0.0: one was taken), new
    updated_at). It refills at `rate` per second up to `burst`. Replicas' clocks may disagree slightly: time
    never runs backwards for the bucket, so a late clock neither refills nor drains it."""
    tokens = min(float(burst), tokens + max(0.0, now - updated_at) * rate)
    updated = max(updated_at, now)
    if tokens >= 1.0:
        return tokens - 1.0, 0.0, updated
    return tokens, (1.0 - tokens) / rate, updated
