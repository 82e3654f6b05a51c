"""Rate limits on what strangers can try (bill checks, connection proofs, one-time codes).

Counting is django-ratelimit's: one counter per (scope, identifier) in a fixed window, in the
cache named by `RATELIMIT_USE_CACHE` (the default cache). Every attempt is counted *before* it
is judged, with the cache's atomic add-then-increment, so parallel requests cannot all pass a
"not yet at the limit" check and then count: the limit-th request is the last one allowed.

The counters are only as shared as the cache. In production every web process must share one:
`CACHE_URL=redis://…` (a deploy check warns otherwise). The quick start serves from one process,
where the in-process memory cache counts atomically under its lock.

A cache that fails to count refuses (fails closed): a throttle that cannot count must not let an
attacker through.
"""

from dataclasses import dataclass

from django_ratelimit.core import get_usage


@dataclass(frozen=True)
class Throttle:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def _usage(*, scope: str, ident: str, limit: int, window: int, increment: bool) -> Throttle:
    usage = get_usage(
        None,  # the key below is computed by the caller; no request attribute is read
        group=f"pdam:{scope}",
        key=lambda group, request: ident or "-",
        rate=(int(limit), int(window)),
        increment=increment,
    )
    if usage is None:  # RATELIMIT_ENABLE = False
        return Throttle(allowed=True, count=0, retry_after=0)
    return Throttle(
        allowed=not usage["should_limit"],
        count=int(usage["count"]),
        retry_after=max(1, int(usage["time_left"])),
    )


def throttle_hit(*, scope: str, ident: str, limit: int, window: int) -> Throttle:
    """Count one attempt by `ident` in `scope`; allowed while at most `limit` in the window."""
    return _usage(scope=scope, ident=ident, limit=limit, window=window, increment=True)
