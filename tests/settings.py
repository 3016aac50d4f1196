"""Test settings: the real config/settings.py with the environment a test run needs.

Only environment defaults are set here (a developer's own variables win), so the suite runs
the same settings module as production. DATABASE_URL / REDIS_URL pick PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("TANDEM_PLAIN_STATIC", "true")
# Per-test cache isolation without flushing a Redis database the broker may share.
os.environ.setdefault("CACHE_URL", "locmem://")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# The tests' webhook receivers listen on 127.0.0.1 (the guard has its own tests).
os.environ.setdefault("TANDEM_WEBHOOK_PRIVATE_TARGETS", "true")

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
