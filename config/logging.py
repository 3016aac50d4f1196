"""JSON-lines log formatter, switched on with LOG_JSON=true (Django, Celery and gunicorn), and a
filter for what clients get wrong."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One JSON object per record; a dict passed as `extra={"fields": {...}}` is merged in."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update({k: v for k, v in fields.items() if k not in payload})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class ClientMistake(logging.Filter):
    """A logger's records as WARNINGs without a traceback: for what a client gets wrong (a body
    over the upload limit), which Django logs as a security ERROR with its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


class ClientError(logging.Filter):
    """django.request's records of 4xx answers (a 403, a 404) without their traceback, the
    exception's reason kept in the message: what the client did, not a fault in the code.
    Errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500 and record.exc_info:
            reason = str(record.exc_info[1] or "")
            if reason:
                record.msg = f"{record.msg} ({reason.replace('%', '%%')})"
            record.exc_info = record.exc_text = None
        return True
