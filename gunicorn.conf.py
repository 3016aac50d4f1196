"""gunicorn settings, all from the environment.

    gunicorn -c gunicorn.conf.py config.wsgi:application

GUNICORN_BIND (default 127.0.0.1:8000; the Docker image sets 0.0.0.0:8000), WEB_CONCURRENCY
(worker processes, default 2 x cores + 1, at most 8), GUNICORN_THREADS, GUNICORN_TIMEOUT,
GUNICORN_MAX_REQUESTS, GUNICORN_PRELOAD, LOG_LEVEL and LOG_JSON (JSON-lines access and error logs).
"""

from __future__ import annotations

import os

from gunicorn import glogging

from config.env import env_bool, env_int, env_str
from config.logging import JsonFormatter

bind = env_str("GUNICORN_BIND", "127.0.0.1:8000")
workers = env_int("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8))
# Threads per worker (gthread): a request spends much of its time waiting on PostgreSQL and
# Redis round trips, during which another thread of the same worker can run. Measured with the
# ingest benchmark on 2 cores: 4 threads store ~20% more responses a second than 1.
threads = env_int("GUNICORN_THREADS", 4)
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat file off the (possibly slow) container disk

# Preloading loads Django and every view (config.wsgi imports the URLconf) once in the master and
# forks it: a worker, a recycled one too, starts warm and shares that memory. Without it each new
# worker spent ~1.5 s of CPU on imports while its first requests waited: under load, with workers
# recycled every max_requests, about a quarter of the web workers' time (load test, 5 workers).
# Anything that opened a socket at import time would be shared by every worker; nothing does (the
# database, the cache and Celery's broker pool connect lazily, and Celery resets its pool in forked
# children), and post_fork below closes database connections. A code change then needs a restart
# of the master, not a HUP. GUNICORN_PRELOAD=false turns it off.
preload_app = env_bool("GUNICORN_PRELOAD", default=True)

loglevel = env_str("LOG_LEVEL", "info").lower()
accesslog = "-"
errorlog = "-"
LOG_JSON = env_bool("LOG_JSON")
# gunicorn 23+ opens a control socket under $HOME; nothing here uses it (and the image's user
# has no writable home).
control_socket_disable = True


def post_fork(server, worker):
    if server.cfg.preload_app:
        from django.db import connections

        connections.close_all()


class JsonLogger(glogging.Logger):
    """gunicorn's logger writing one JSON object per line, like Django's LOG_JSON output."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or "",
            "status": int(atoms["s"]),
            "bytes": atoms["B"] or 0,
            "duration_ms": round(atoms["D"] / 1000, 1),
            "user_agent": atoms["a"],
            "referer": atoms["f"],
        }
        self.access_log.info(
            "%s %s %s", fields["method"], fields["path"], fields["status"], extra={"fields": fields}
        )


if LOG_JSON:
    logger_class = JsonLogger
