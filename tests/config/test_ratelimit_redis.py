"""The rate-limit counters on a real Redis: one pipelined round trip, a TTL from the window's first
event, and the API throttle's fixed window with Retry-After."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from config import ratelimit
from tests.processes import redis_server, require_binary


@pytest.fixture
def redis_cache(settings):
    require_binary("redis-server")
    with redis_server() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "config.cache.RedisCache",
                "LOCATION": server.url(1),
                "KEY_PREFIX": "t",
            }
        }
        yield cache


def test_hit_counts_in_one_window_with_its_ttl(redis_cache):
    key = f"test:{uuid.uuid4().hex}"
    assert [ratelimit.hit(key, window=60) for _ in range(3)] == [1, 2, 3]
    client = ratelimit._redis_client(key)
    full_key = cache.make_and_validate_key(key)
    assert 0 < client.ttl(full_key) <= 60  # set by the first event, never extended
    assert ratelimit.count(key) == 3
    client.delete(full_key)  # the window ended
    assert ratelimit.hit(key, window=60) == 1


def test_hit_fails_open_without_a_cache(settings):
    from tests.processes import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    assert ratelimit.hit("test:down", window=60) == 0


def test_locmem_cache_counts_too():
    key = f"test:{uuid.uuid4().hex}"
    assert [ratelimit.hit(key, window=60) for _ in range(2)] == [1, 2]


def test_cache_keeps_one_redis_client_per_server(redis_cache):
    """config.cache.RedisCache: the same client object for every call, and it works."""
    backend = cache._cache
    assert backend.get_client("a") is backend.get_client("b", write=True)
    cache.set("kept", {"n": 1}, 60)
    assert cache.get("kept") == {"n": 1}
    assert cache.add("counter", 0)
    assert cache.incr("counter") == 1
    assert cache.get_many(["kept", "missing"]) == {"kept": {"n": 1}}
