"""Fixed-window counters in the cache (Redis in production) for sign-in and public links."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient

LOGIN_WINDOW = 15 * 60
RESET_LIMIT = 5  # password reset e-mails asked for per IP, and per address, an hour
RESET_WINDOW = 60 * 60


def client_ip(request) -> str:
    # Behind a proxy, the last hop appended to X-Forwarded-For is the one the proxy saw.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "TANDEM_TRUST_X_FORWARDED_FOR", False):
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(key: str, *, window: int) -> int:
    """Count one event in the window and return the count so far (fail open if cache is down).

    On Redis one round trip: SET NX (the window's TTL, from its first event) and INCR, pipelined.
    """
    try:
        client = _redis_client(key)
        if client is not None:
            full_key = cache.make_and_validate_key(key)
            pipe = client.pipeline(transaction=False)
            pipe.set(full_key, 0, ex=window, nx=True)
            pipe.incr(full_key)
            return int(pipe.execute()[1])
        if cache.add(key, 1, timeout=window):
            return 1
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1
    except Exception:  # noqa: BLE001 - a cache outage must not stop people answering
        return 0


def _redis_client(key: str):
    """The Redis client behind Django's RedisCache, else None (local-memory cache)."""
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, RedisCacheClient):
        return None
    return backend.get_client(key, write=True)


def count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except Exception:  # noqa: BLE001
        return 0


def login_keys(*, ip: str, username: str) -> list[str]:
    return [f"login:ip:{ip}", f"login:user:{username}"]


def login_blocked(keys: list[str]) -> bool:
    limit = settings.LOGIN_RATE_LIMIT
    return any(count(key) >= limit for key in keys)


def login_failed(keys: list[str]) -> None:
    for key in keys:
        hit(key, window=LOGIN_WINDOW)


def reset_over_limit(*, ip: str, email: str) -> bool:
    """Count one password reset request; whether its IP or its address is past the limit."""
    keys = [f"reset:ip:{ip}", *([f"reset:email:{email}"] if email else [])]
    return max(hit(key, window=RESET_WINDOW) for key in keys) > RESET_LIMIT
