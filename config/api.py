"""Shared REST framework pieces: JSON errors for every failure, never an HTML 500 page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

MAX_JSON_DEPTH = 32  # our bodies nest 4 deep; hundreds of levels would hit Python's recursion limit


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus: a body nested more than MAX_JSON_DEPTH deep is a 400, not a
    RecursionError (a 500) in the decoder or in any code that walks the data later."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if _depth_within(data, MAX_JSON_DEPTH):
                return data
        raise exceptions.ParseError("JSON parse error - nested too deeply.")


class IndexedListSerializer(serializers.ListSerializer):
    """Errors of a list of objects as a list parallel to the input (`[{}, {"type": [...]}]`),
    whichever error format the installed DRF version defaults to (some give {index: errors})."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and detail and all(isinstance(k, int) for k in detail):
                errors = [detail.get(index, {}) for index in range(len(data))]
                raise serializers.ValidationError(errors) from exc
            raise


def _depth_within(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:  # iterative: the check must not recurse itself
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return False
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return True


def upload_limit_label() -> str:
    """DATA_UPLOAD_MAX_MEMORY_SIZE for people: "2.5 MB" (Django's default)."""
    return f"{round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20, 1):g} MB"


def body_too_large_message() -> str:
    return f"The request body is too large (at most {upload_limit_label()})."


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # The client's mistake: a 413 it can read, logged as one WARNING line by django.request
        # (unhandled, Django logs it as a security ERROR with a traceback and answers HTML).
        return Response(
            {"detail": body_too_large_message()},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        # Likewise a client's mistake (a form of thousands of fields), a 400 it can read.
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    message = None
    if isinstance(exc, DjangoValidationError):
        if not hasattr(exc, "error_dict"):
            # A rule about the whole request ("a closed survey cannot be reopened"): one string
            # under "detail", like every other error without a field.
            message = " ".join(exc.messages)
        exc = exceptions.ValidationError(exc.message_dict if message is None else message)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if message is not None:
        response.data = {"detail": message}
    if isinstance(exc, Http404) or response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = {"detail": "Not found."}
    return response


def error(message: str, code: int = status.HTTP_400_BAD_REQUEST, **fields) -> Response:
    body = {"detail": message}
    body.update(fields)
    return Response(body, status=code)
