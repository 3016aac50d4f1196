"""Property-based fuzzing of the answer form and the responses API.

Whatever arrives (wrong types, out-of-range values, huge and odd Unicode, NUL bytes, lone
surrogates, wrong or repeated question ids, missing fields, non-JSON bodies, nested garbage):
never a 500, and never a partial row. Each example runs in a savepoint rolled back at its end, so
every example meets the same database; the Response and Answer row counts are compared before and
after: an accepted submission adds exactly one response and its answers, anything else adds
nothing. Examples built to be valid must be accepted.

Examples: 500 each for the form and the API with CI=true (hypothesis profile "tandem-fuzz-ci"),
60 otherwise; a quarter of that for raw garbage bodies.
"""

from __future__ import annotations

import json
import os

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from responses.models import Answer, Response
from surveys.distribution import customer_link_signed
from surveys.models import Invitation, SurveyKind
from tests.factories import CustomerLinkFactory, QuestionFactory, SurveyFactory
from tests.processes import free_port
from tests.responses.conftest import make_invitation, make_survey

pytestmark = pytest.mark.django_db

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}
hypothesis_settings.register_profile("tandem-fuzz-ci", max_examples=500, **_COMMON)
hypothesis_settings.register_profile("tandem-fuzz-dev", max_examples=60, **_COMMON)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true")
FUZZ = hypothesis_settings(
    hypothesis_settings.get_profile("tandem-fuzz-ci" if IN_CI else "tandem-fuzz-dev")
)

TOKEN = "fuzz-token-0123456789abcdefghijkl"
SCALE = {"nps": (0, 10), "likert": (1, 5), "csat": (1, 5), "ces": (1, 7)}
CHOICES = {"single": ["Yes", "No"], "multi": ["Price", "Speed", "Staff"]}

# Strings people and programs actually send, and the ones that broke things before.
ODD = [
    "", " ", "-1", "11", "0", "10", "5 ", "+5", "05", "1_0", "3.0", "1e3", "0x5", "NaN", "²", "٣",
    "𝟘", "\x00", "9\x00", "<script>alert(1)</script>", "Yes", "No", "yes", "Price", "Price,Speed",
    "null", "[]", "{}", "' OR 1=1 --", "\u202e\u0301", "\ufeff", "\r\n", "é" * 64,
]  # fmt: skip
any_char = st.characters(codec="utf-8")  # no lone surrogates: a browser cannot send them
form_text = st.one_of(
    st.sampled_from(ODD),
    st.text(any_char, max_size=40),
    st.integers(4990, 5100).map(lambda n: "x" * n),  # around TEXT_MAX_LENGTH
    st.just("😀" * 5001),
)


@pytest.fixture
def fuzz_world(world, settings):
    settings.TANDEM_PUBLIC_RATE_LIMIT = 10**9  # the per-IP limit is tested elsewhere
    ex = make_survey(world.org, kind=SurveyKind.EX, anonymous=True)
    make_invitation(ex, token=TOKEN)
    cx = make_survey(world.org, kind=SurveyKind.CX, anonymous=False)
    link = CustomerLinkFactory(survey=cx, team=world.team)
    foreign = QuestionFactory(survey=SurveyFactory(organization=world.org), type="nps")
    return {
        "ex": ex,
        "cx": cx,
        "urls": {
            "invitation": f"/r/i/{TOKEN}/",
            "link": f"/r/c/{customer_link_signed(link)}/",
        },
        "foreign_question": foreign.id,
        "token": Token.objects.create(user=world.cx_manager.user).key,
        "world": world,
    }


def _counts() -> tuple[int, int, int]:
    """Responses, answers and used invitations, in one round trip (it runs twice per example)."""
    tables = [model._meta.db_table for model in (Response, Answer, Invitation)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {tables[0]}), (SELECT count(*) FROM {tables[1]}),"
            f" (SELECT count(*) FROM {tables[2]} WHERE used_at IS NOT NULL)"
        )
        return tuple(cursor.fetchone())


def _assert_all_or_nothing(before, accepted: bool, *, expected_answers: int | None = None):
    responses, answers, used = _counts()
    if not accepted:
        assert (responses, answers, used) == before, "a refused submission changed rows"
        return
    assert responses == before[0] + 1, "an accepted submission did not add exactly one response"
    new = Response.objects.order_by("-id").first()
    assert answers - before[1] == new.answers.count() >= 1  # whole: its answers, nobody else's
    if expected_answers is not None:
        assert new.answers.count() == expected_answers


@st.composite
def valid_answers(draw, survey) -> dict:
    """question -> a value the survey accepts (NPS required, the rest optional)."""
    answers = {}
    for kind, question in survey.q.items():
        if kind != "nps" and draw(st.booleans()):
            continue
        if kind in SCALE:
            answers[question] = draw(st.integers(*SCALE[kind]))
        elif kind == "single":
            answers[question] = draw(st.sampled_from(CHOICES["single"]))
        elif kind == "multi":
            picked = st.lists(st.sampled_from(CHOICES["multi"]), min_size=1, unique=True)
            answers[question] = draw(picked)
        else:
            text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=80)
            answers[question] = draw(text.map(lambda t: f"{t}."))  # never blank
    return answers


# --- The answer form --------------------------------------------------------------------------------


@st.composite
def form_posts(draw, fw) -> tuple[str, dict, bool]:
    """(page, POST data, built to be valid). Valid answers, then maybe some fields spoiled."""
    page = draw(st.sampled_from(["invitation", "link"]))
    survey = fw["ex"] if page == "invitation" else fw["cx"]
    answers = draw(valid_answers(survey))
    data = {
        f"question_{q.id}": [str(v) for v in value] if isinstance(value, list) else str(value)
        for q, value in answers.items()
    }
    fields = [f"question_{q.id}" for q in survey.q.values()]
    junk_names = st.sampled_from(
        [
            *fields,
            f"question_{fw['foreign_question']}",
            "question_0",
            "question_99999999999999999999",
            "question_abc",
            "submission_key",
            "lang",
            "answers",
        ]
    )
    junk_value = st.one_of(form_text, st.lists(form_text, min_size=2, max_size=3))
    spoiled = draw(st.dictionaries(junk_names, junk_value, max_size=4))
    dropped = draw(st.lists(st.sampled_from(fields), max_size=2, unique=True))
    for name in dropped:
        data.pop(name, None)
    data.update(spoiled)
    return page, data, not spoiled and not dropped


@FUZZ
@given(data=st.data())
def test_answer_form_never_fails_and_never_half_saves(client, fuzz_world, data):
    page, post, valid = data.draw(form_posts(fuzz_world))
    with transaction.atomic():
        before = _counts()
        response = client.post(fuzz_world["urls"][page], post)
        assert response.status_code in (200, 302), response.status_code
        if valid:
            assert response.status_code == 302, response.context["form"].errors
        accepted = response.status_code == 302
        if accepted:
            assert response["Location"].startswith("/r/thanks/")
        _assert_all_or_nothing(before, accepted)
        transaction.set_rollback(True)


@hypothesis_settings(FUZZ, max_examples=FUZZ.max_examples // 4)  # a smaller space
@given(
    body=st.binary(max_size=300),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain; charset=utf-16",
            "application/x-www-form-urlencoded; charset=nonsense",
        ]
    ),
    page=st.sampled_from(["invitation", "link"]),
)
def test_answer_form_survives_raw_garbage_bodies(client, fuzz_world, body, content_type, page):
    with transaction.atomic():
        before = _counts()
        # generic(): the bytes go out as they are (post() would re-encode them to the charset).
        response = client.generic("POST", fuzz_world["urls"][page], body, content_type)
        assert response.status_code in (200, 400), response.status_code
        _assert_all_or_nothing(before, accepted=False)
        transaction.set_rollback(True)


# --- The responses API --------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(ODD),
    st.text(max_size=30),  # any code point: NUL and lone surrogates travel as JSON escapes
    st.just("\ud800"),
    st.just("x" * 5001),
    st.sampled_from(["2026-01-01", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def api_bodies(draw, fw) -> tuple[bytes, str, bool, int]:
    """(body, content type, built to be valid, answers it should store)."""
    survey = fw["cx"]
    answers = draw(valid_answers(survey))
    payload = {
        "team": fw["world"].team.id,
        "answers": [{"question": q.id, "value": v} for q, v in answers.items()],
    }
    if draw(st.booleans()):
        payload["submission_key"] = draw(st.text(st.characters(codec="utf-8"), max_size=64))
        payload["submission_key"] = payload["submission_key"].replace("\x00", "") or None
        if payload["submission_key"] is None:
            del payload["submission_key"]
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), max_size=3))
    for mutate in mutations:
        payload = mutate(draw, payload, fw)
    shape = draw(st.sampled_from(["json"] * 8 + ["raw", "deep", "not an object"]))
    if shape == "raw":
        return draw(st.binary(max_size=200)), "application/json", False, 0
    if shape == "deep":
        depth = draw(st.integers(30, 5000))
        return ("[" * depth + "]" * depth).encode(), "application/json", False, 0
    if shape == "not an object":
        payload = draw(st.one_of(json_scalars, st.lists(json_values, max_size=3)))
    expected = sum(1 for value in answers.values() if value not in ("", []))
    valid = shape == "json" and not mutations
    return json.dumps(payload).encode(), "application/json", valid, expected


def _set_top(draw, payload, fw):
    key = draw(st.sampled_from(["team", "location", "submitted_at", "answers", "submission_key"]))
    return {**payload, key: draw(json_values)}


def _drop_top(draw, payload, fw):
    key = draw(st.sampled_from(["team", "answers"]))
    return {k: v for k, v in payload.items() if k != key}


def _wrong_team(draw, payload, fw):
    other = fw["world"].outsider.organization.teams.values_list("id", flat=True).first()
    return {
        **payload,
        "team": draw(st.sampled_from([other, 0, -1, 2**63, str(fw["world"].team.id)])),
    }


def _items(payload) -> list[dict]:
    """The answer objects of a payload earlier mutations left intact (copies)."""
    items = payload.get("answers")
    return [dict(i) for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _spoil_value(draw, payload, fw):
    if items := _items(payload):
        items[draw(st.integers(0, len(items) - 1))]["value"] = draw(json_values)
        payload = {**payload, "answers": items}
    return payload


def _spoil_question(draw, payload, fw):
    if items := _items(payload):
        wrong = st.sampled_from([fw["foreign_question"], 0, -5, 2**63, 10**25, "abc", None, 1.5])
        items[draw(st.integers(0, len(items) - 1))]["question"] = draw(
            st.one_of(wrong, json_values)
        )
        payload = {**payload, "answers": items}
    return payload


def _duplicate_answer(draw, payload, fw):
    return {**payload, "answers": _items(payload) + _items(payload)[:1]}


def _drop_answer(draw, payload, fw):
    return {**payload, "answers": _items(payload)[1:]}


def _garbage_item(draw, payload, fw):
    return {**payload, "answers": [*_items(payload), draw(json_values)]}


def _nest(draw, payload, fw):
    return {"data": payload} if draw(st.booleans()) else {**payload, "answers": [_items(payload)]}


MUTATIONS = [
    _set_top,
    _drop_top,
    _wrong_team,
    _spoil_value,
    _spoil_question,
    _duplicate_answer,
    _drop_answer,
    _garbage_item,
    _nest,
]


@FUZZ
@given(data=st.data())
def test_responses_api_never_fails_and_never_half_saves(client, fuzz_world, data):
    body, content_type, valid, expected = data.draw(api_bodies(fuzz_world))
    url = f"/api/v1/surveys/{fuzz_world['cx'].id}/responses/"
    headers = {"HTTP_AUTHORIZATION": f"Token {fuzz_world['token']}"}
    with transaction.atomic():
        before = _counts()
        response = client.post(url, body, content_type=content_type, **headers)
        assert response.status_code in (201, 400), (response.status_code, response.content[:500])
        if valid:
            assert response.status_code == 201, response.content[:500]
        accepted = response.status_code == 201
        _assert_all_or_nothing(before, accepted, expected_answers=expected if valid else None)
        transaction.set_rollback(True)


# --- Regressions: 500s this fuzzing found ----------------------------------------------------------


def _api_post(client, fw, payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/api/v1/surveys/{fw['cx'].id}/responses/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {fw['token']}",
    )


def test_superscript_digit_in_a_scale_answer_is_a_form_error(client, fuzz_world):
    nps = fuzz_world["ex"].q["nps"]
    response = client.post(fuzz_world["urls"]["invitation"], {f"question_{nps.id}": "²"})
    assert response.status_code == 200  # was a 500: "²".isdigit() is True, int("²") fails
    assert response.context["form"].errors[f"question_{nps.id}"]
    assert Response.objects.count() == 0


@pytest.mark.parametrize("depth", [33, 900, 100_000])
def test_json_nested_too_deeply_is_a_400(client, fuzz_world, depth):
    nps = fuzz_world["cx"].q["nps"].id
    value = "[" * depth + "]" * depth
    team = fuzz_world["world"].team.id
    body = f'{{"team": {team}, "answers": [{{"question": {nps}, "value": {value}}}]}}'
    response = _api_post(client, fuzz_world, body.encode())
    assert response.status_code == 400  # was a 500: RecursionError in or after the decoder
    assert response.json() == {"detail": "JSON parse error - nested too deeply."}
    assert Response.objects.count() == 0


def test_lone_surrogate_in_a_comment_is_dropped_like_a_nul(client, fuzz_world):
    q = fuzz_world["cx"].q
    payload = {
        "team": fuzz_world["world"].team.id,
        "answers": [
            {"question": q["nps"].id, "value": 3},
            {"question": q["text"].id, "value": "Slow\ud800 and\x00 rude"},
        ],
    }
    response = _api_post(client, fuzz_world, payload)
    assert response.status_code == 201  # was a 500: PostgreSQL cannot encode "\ud800"
    assert Answer.objects.get(question=q["text"]).value_text == "Slow and rude"


@pytest.mark.parametrize(
    "submitted_at",
    ["0001-01-01T00:00:00+23:59", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-23:59"],
)
def test_submission_time_outside_what_can_be_stored_is_a_400(client, fuzz_world, submitted_at):
    payload = {
        "team": fuzz_world["world"].team.id,
        "submitted_at": submitted_at,
        "answers": [{"question": fuzz_world["cx"].q["nps"].id, "value": 9}],
    }
    response = _api_post(client, fuzz_world, payload)
    assert response.status_code == 400  # was a 500: offset beyond PostgreSQL's +-15:59
    assert response.json() == {"submitted_at": ["Use an ISO 8601 date or date-time."]}
    assert Response.objects.count() == 0


def test_submission_time_with_a_large_offset_is_stored_in_utc(client, fuzz_world):
    payload = {
        "team": fuzz_world["world"].team.id,
        "submitted_at": "2026-01-02T08:00:00+20:00",  # Python accepts it, PostgreSQL would not
        "answers": [{"question": fuzz_world["cx"].q["nps"].id, "value": 9}],
    }
    assert _api_post(client, fuzz_world, payload).status_code == 201
    stored = Response.objects.get().submitted_at
    assert stored.isoformat() == "2026-01-01T12:00:00+00:00"


def test_api_stores_responses_when_the_cache_is_down(client, fuzz_world, settings):
    # Found by the broker-down fault test: the API throttle read Redis and turned an outage into
    # 500s. It fails open now, like the public links' per-IP limit.
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    payload = {
        "team": fuzz_world["world"].team.id,
        "answers": [{"question": fuzz_world["cx"].q["nps"].id, "value": 9}],
    }
    assert _api_post(client, fuzz_world, payload).status_code == 201
    assert Response.objects.count() == 1
