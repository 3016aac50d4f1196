"""config.renderers.JSONRenderer writes the bytes DRF's JSON renderer writes."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

from django.utils.functional import lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers

from config.renderers import JSONRenderer

DRF = renderers.JSONRenderer()
OURS = JSONRenderer()

texts = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('\u2028\u2029"\\/<>&'))
# Floats as the API's figures are: rounded percentages, means and correlations.
figures = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda f: round(f, 2))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | figures
    | texts
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.times()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.uuids()
)
bodies = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_the_same_bytes_as_drf(body):
    assert OURS.render(body) == DRF.render(body)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_reads_back_the_same(value):
    assert json.loads(OURS.render({"v": value})) == json.loads(DRF.render({"v": value}))


def test_what_orjson_cannot_encode_is_drfs():
    for body in (
        {1: "an int key"},
        {"big": 2**70},
        {"set": {1}},
        {"lazy": lazy(lambda: "later", str)()},
        [decimal.Decimal("1.50"), uuid.UUID(int=5), dt.timedelta(seconds=90)],
    ):
        assert OURS.render(body) == DRF.render(body)


def test_indent_and_nothing():
    body = {"a": [1, 2]}
    assert OURS.render(body, "application/json; indent=2") == DRF.render(
        body, "application/json; indent=2"
    )
    assert OURS.render(None) == DRF.render(None) == b""


def test_the_api_uses_it(settings):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer
