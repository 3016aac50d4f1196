"""The API's JSON renderer: DRF's, encoding with orjson.

The scores API answers up to ~1.3 MB of figures (every team x every month); DRF's renderer
(the standard library's encoder) took ~25 ms of such a call, orjson ~2 ms. The bytes are DRF's:
compact, UTF-8, U+2028/U+2029 escaped; dates, datetimes, times, decimals, lazy strings and the
rest go through DRF's own encoder (orjson hands them over), so they read as before. What orjson
cannot encode (a key that is not a string, an integer past 64 bits) and an indented answer are
encoded by DRF's renderer itself. Two differences, neither in what this API answers: a float is
written in its shortest form (1e-7 where Python writes 1e-07: the same number), and NaN or an
infinity becomes null where DRF refuses it.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DRF_DEFAULT = JSONEncoder().default


def _default(value):
    if isinstance(value, float):  # a float subclass orjson passed on: DRF's encoding
        raise TypeError
    return _DRF_DEFAULT(value)


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
