"""The responses API's fast path for plain JSON bodies (responses.api.response_body_plain) gives
what ResponseInSerializer gives, or steps aside: checked on generated bodies, valid and not."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from responses.api import ResponseInSerializer, response_body_plain

MISSING = object()

ids = st.one_of(
    st.integers(min_value=-5, max_value=10**6),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["12", " 7 ", "3.0", "", "1e3"]),
    st.none(),
)
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)
keys = st.one_of(
    st.text(max_size=70),
    st.text(alphabet="ab \t\n", max_size=70),
    st.sampled_from(["", "   ", "k" * 64, " " + "k" * 64 + " ", "k" * 65, "a\x00b", "é"]),
    st.integers(),
    st.none(),
)


def _maybe(strategy):
    return st.one_of(st.just(MISSING), strategy)


answer = st.one_of(
    st.fixed_dictionaries({"question": ids, "value": values}),
    st.fixed_dictionaries({}, optional={"question": ids, "value": values, "extra": values}),
    values,
)


def _body(**parts):
    """A body of the parts drawn (MISSING: the key is left out)."""
    return st.builds(
        lambda **drawn: {name: value for name, value in drawn.items() if value is not MISSING},
        **parts,
    )


bodies = _body(
    team=_maybe(ids),
    location=_maybe(ids),
    agent=_maybe(ids),
    submission_key=_maybe(keys),
    answers=_maybe(st.one_of(st.lists(answer, max_size=4), values)),
    submitted_at=st.one_of(
        st.just(MISSING), st.just(MISSING), st.sampled_from(["2026-01-02", "x", None])
    ),
    note=_maybe(values),
)


def _mostly(usual, other):
    """`usual` four times in five (st.one_of would draw each side as often)."""
    return st.integers(min_value=0, max_value=4).flatmap(lambda n: usual if n else other)


good_ids = st.integers(min_value=1, max_value=10**6)
near_valid = _body(
    team=_mostly(good_ids, ids),
    location=_mostly(st.one_of(st.just(MISSING), st.none(), good_ids), ids),
    agent=_mostly(st.one_of(st.just(MISSING), st.none(), good_ids), ids),
    submission_key=_mostly(
        st.one_of(st.just(MISSING), st.text(alphabet="ab -_", max_size=64)), keys
    ),
    answers=_mostly(
        st.lists(
            _mostly(
                st.fixed_dictionaries({"question": _mostly(good_ids, ids), "value": values}), answer
            ),
            max_size=5,
        ),
        values,
    ),
)


def _plain(data):
    return json.loads(json.dumps(data, default=str))


def _serializer(data):
    serializer = ResponseInSerializer(data=data)
    if serializer.is_valid():
        return True, _plain(serializer.validated_data)
    return False, _plain(serializer.errors)


@settings(max_examples=600, deadline=None)
@given(body=st.one_of(near_valid, near_valid, bodies, values))
def test_fast_path_agrees_with_the_serializer(body):
    body = _plain(body)  # as the JSON parser hands it over
    fast = response_body_plain(body)
    if fast is not None:
        valid, expected = _serializer(body)
        assert valid, expected
        assert _plain(fast) == expected


def test_usual_bodies_take_the_fast_path():
    body = {
        "team": 4,
        "location": None,
        "submission_key": "  abc  ",
        "answers": [{"question": 1, "value": 9}, {"question": 2, "value": ["a"]}],
    }
    assert response_body_plain(body) == {
        "team": 4,
        "location": None,
        "submission_key": "abc",
        "answers": [{"question": 1, "value": 9}, {"question": 2, "value": ["a"]}],
    }
    assert _serializer(body) == (True, _plain(response_body_plain(body)))
    assert response_body_plain({"team": 4, "answers": []}) == {"team": 4, "answers": []}


def test_anything_else_goes_to_the_serializer():
    for body in (
        {"team": "4", "answers": []},  # the serializer accepts it, and says so
        {"team": True, "answers": []},
        {"team": 4, "answers": [{"question": 1}]},
        {"team": 4, "answers": [], "submitted_at": "2026-01-01"},
        {"team": 4, "answers": [], "submission_key": "k" * 65},
        {"answers": []},
        [],
    ):
        assert response_body_plain(body) is None
