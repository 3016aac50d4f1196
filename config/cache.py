"""Django's Redis cache, keeping its `redis.Redis` client objects instead of making one per call.

Django's RedisCacheClient builds a new `redis.Redis` around its connection pool for every cache
call; building one (its response callbacks, a case-insensitive dict of ~200 entries) cost more
Python time than the round trip it wraps: under the load test, ~4% of the web workers' time
went to it. A client is safe to share (each command takes a connection from the pool), and
redis-py's pool notices a fork and starts afresh in the child.

    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", ...}}
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
