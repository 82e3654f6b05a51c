"""The kernel throttle: attempts are counted atomically before they are judged, so a burst of
parallel requests gets exactly the limit through, on the in-process cache and on Redis."""

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

from pdam.throttle import throttle_hit

REDIS_URL = "redis://127.0.0.1:6379/15"


def _burst(*, attempts: int, limit: int, scope: str) -> list[bool]:
    barrier = threading.Barrier(attempts)
    allowed: list[bool] = []
    lock = threading.Lock()

    def attempt():
        barrier.wait()
        result = throttle_hit(scope=scope, ident="0100000001", limit=limit, window=3600).allowed
        with lock:
            allowed.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return allowed


def test_a_parallel_burst_gets_exactly_the_limit_through():
    allowed = _burst(attempts=24, limit=5, scope="test-burst")
    assert allowed.count(True) == 5
    assert allowed.count(False) == 19


def test_counts_are_per_scope_and_identifier():
    assert throttle_hit(scope="a", ident="x", limit=1, window=60).allowed
    assert not throttle_hit(scope="a", ident="x", limit=1, window=60).allowed
    assert throttle_hit(scope="a", ident="y", limit=1, window=60).allowed
    assert throttle_hit(scope="b", ident="x", limit=1, window=60).allowed


def test_an_empty_identifier_is_still_counted():
    assert throttle_hit(scope="a", ident="", limit=1, window=60).allowed
    refused = throttle_hit(scope="a", ident="", limit=1, window=60)
    assert not refused.allowed
    assert 1 <= refused.retry_after <= 60


def redis_errors():
    import redis

    return redis.RedisError


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping())
    except (ImportError, OSError, redis_errors()):
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_a_parallel_burst_on_redis_gets_exactly_the_limit_through():
    backend = "django.core.cache.backends.redis.RedisCache"
    redis_cache = {"default": {"BACKEND": backend, "LOCATION": REDIS_URL}}
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        try:
            allowed = _burst(attempts=24, limit=5, scope="test-burst-redis")
        finally:
            caches["default"].clear()
    assert allowed.count(True) == 5


def test_a_cache_that_cannot_count_refuses(monkeypatch):
    cache = caches["default"]
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    monkeypatch.setattr(cache, "incr", lambda *args, **kwargs: (_ for _ in ()).throw(ValueError("gone")))
    assert not throttle_hit(scope="a", ident="x", limit=100, window=60).allowed
