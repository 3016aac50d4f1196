"""API v1, collection: post responses (integrations, imports), send invitations, participation.

Same rules as the browser: everything goes through `response_submit` / `invitations_send`, whose
ValidationErrors become 400s with field-level messages (config.api.exception_handler).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import time

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from config import ratelimit, rows
from config.api import IndexedListSerializer
from config.audit import api_write_entry, api_write_recorded
from config.authentication import MemberTokenAuthentication, membership_and_rows_for_token
from dashboards.api import GroupRef
from responses.models import Channel
from responses.services import response_submit
from surveys.distribution import invitations_send
from surveys.distribution_selectors import participation_by_team
from surveys.models import Cycle, Location, Membership, Person, Survey, SurveyKind, Team
from surveys.permissions import can_author
from surveys.selectors import membership_for_user
from surveys.validation import MAX_ID
from surveys.views import author_check, survey_for_author

logger = logging.getLogger(__name__)


_THROTTLE_COUNTED = "_tandem_api_throttle_counted"


class ApiTokenThrottle(UserRateThrottle):
    """Per caller (one DRF token per user): generous, as an import may post thousands of
    responses. The per-IP limit of public links does not apply here.

    A fixed-window counter (config.ratelimit.hit: one Redis round trip, O(1)) rather than DRF's
    list of every request time in the window, which an import at thousands a minute would read
    and write back whole on each call. Retry-After is the time left in the window.

    Fails open, like config.ratelimit: with the cache (Redis) down, calls go through unthrottled
    instead of failing, so responses are still stored while Redis is out.
    """

    scope = "api_token"

    def allow_request(self, request, view):
        if (counted := getattr(request._request, _THROTTLE_COUNTED, None)) is not None:
            self._wait = counted[1]  # counted by the fast path, which then handed over
            return counted[0]
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        return self._hit()

    def allow_user(self, request, user) -> bool:
        """`allow_request` for the fast path (`_fast_post`), which has no DRF request: the same
        count, remembered on `request` so that the DRF view, if it answers after all, does not
        count the call twice."""
        allowed = True
        self._wait = None
        if self.rate is not None:
            self.key = self.cache_format % {"scope": self.scope, "ident": user.pk}
            allowed = self._hit()
        setattr(request, _THROTTLE_COUNTED, (allowed, self._wait))
        return allowed

    def _hit(self) -> bool:
        now = time.time()
        window_start = int(now // self.duration) * self.duration
        self._wait = window_start + self.duration - now
        return (
            ratelimit.hit(f"{self.key}:{window_start}", window=self.duration) <= self.num_requests
        )

    def wait(self):
        return self._wait


@extend_schema_field(OpenApiTypes.DATETIME)
class WhenField(serializers.Field):
    """An ISO 8601 date or date-time; a date means midnight UTC, a naive time means UTC."""

    default_error_messages = {"invalid": "Use an ISO 8601 date or date-time."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            moment = parse_datetime(data)
            if moment is None and (day := parse_date(data)) is not None:
                moment = dt.datetime.combine(day, dt.time(0, 0))
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        try:
            # In UTC: PostgreSQL refuses offsets beyond 15:59 that Python accepts (up to 23:59).
            return moment.astimezone(dt.UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is in year 0
            self.fail("invalid")

    def to_representation(self, value):
        return value.isoformat()


class AnswerInSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    value = serializers.JSONField(allow_null=True)

    class Meta:
        list_serializer_class = IndexedListSerializer  # errors: a list parallel to the answers


class ResponseInSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    location = serializers.IntegerField(required=False, allow_null=True)
    agent = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Customer surveys: the person who served the customer (their figures per agent)",
    )
    submitted_at = WhenField(required=False)
    answers = AnswerInSerializer(many=True)
    submission_key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class InvitationsInSerializer(serializers.Serializer):
    # Bounded: SQLite cannot even compare an id past 64 bits (OverflowError, a 500).
    teams = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )


_PLAIN_INT = 10**15  # ids and numbers a plain body may hold: far inside IntegerField's range


def _plain_int(value) -> bool:
    return type(value) is int and -_PLAIN_INT < value < _PLAIN_INT


def response_body_plain(data) -> dict | None:
    """The validated body, as `ResponseInSerializer` gives it, for the usual JSON body: a team
    id, maybe a location id and a submission key, a list of {question id, value}. None for
    anything else (a date, a form-encoded body, a string where a number goes, any error): the
    serializer then validates it and words the errors.

    Every integration call posts this shape, and building the serializer (it deep-copies its
    fields for each instance) cost more than checking it here. A test holds the two equal on
    generated bodies, valid and not.
    """
    if type(data) is not dict or "submitted_at" in data or not _plain_int(data.get("team")):
        return None
    body = {"team": data["team"]}
    for name in ("location", "agent"):
        if name in data:
            value = data[name]
            if value is not None and not _plain_int(value):
                return None
            body[name] = value
    if "submission_key" in data:
        key = data["submission_key"]
        if type(key) is not str or not key.isascii() or "\x00" in key:
            return None
        key = key.strip()
        if len(key) > 64:
            return None
        body["submission_key"] = key
    answers = data.get("answers")
    if type(answers) is not list:
        return None
    body["answers"] = []
    for answer in answers:
        if type(answer) is not dict or not _plain_int(answer.get("question")):
            return None
        if "value" not in answer:
            return None
        body["answers"].append({"question": answer["question"], "value": answer["value"]})
    return body


def _response_body(data) -> tuple[dict | None, serializers.ValidationError | None]:
    """(validated body, None) or (None, the 400 to raise)."""
    if (body := response_body_plain(data)) is not None:
        return body, None
    serializer = ResponseInSerializer(data=data)
    if serializer.is_valid():
        return serializer.validated_data, None
    return None, serializers.ValidationError(serializer.errors)


def _survey_for_caller(request, pk: int) -> Survey:
    """The caller's survey: 404 in another organisation, 403 for a kind they do not author
    (integrations run as a CX manager's token, so they post to CX surveys)."""
    return survey_for_author(membership=_author(request), pk=pk)


def _author(request) -> Membership:
    """The caller's membership; 403 unless they author surveys of some kind."""
    membership = membership_for_user(user=request.user)
    if not can_author(membership):
        raise PermissionDenied("Only HR admins and CX managers can use this endpoint.")
    return membership


def _in_org(model, pk: int | None, survey: Survey, field: str):
    if pk is None:
        return None
    obj = rows.in_organization(model, pk, survey.organization_id)
    if obj is None:
        raise serializers.ValidationError({field: [f"Unknown {field}: {pk}."]})
    return obj


class _CollectionView(APIView):
    # Token first, so a call without credentials gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = [MemberTokenAuthentication, SessionAuthentication]
    throttle_classes = [ApiTokenThrottle]


def _store_response(request, membership: Membership, pk: int, data, errors, found=None) -> int:
    """Store the body's response in survey `pk` for the caller, its id; the API's 4xx errors
    raised (Http404, PermissionDenied, ValidationError), nothing stored then. `request` is
    Django's (both the DRF view and the fast path call it); `found` is the survey and the
    body's team when the caller has read them (in the organisation) already."""
    # The survey and the body's team in one query; a survey of another organisation or kind
    # is still a 404 or 403 before any complaint about the body.
    survey, team = found or rows.in_organization_with(
        Survey, pk, membership.organization_id, Team, data["team"] if data else None
    )
    if survey is None:
        raise Http404("No survey matches the given query.")
    author_check(membership=membership, survey=survey)
    if errors is not None:
        raise errors
    if team is None:
        raise serializers.ValidationError({"team": [f"Unknown team: {data['team']}."]})
    submitted_at = data.get("submitted_at")
    location = _in_org(Location, data.get("location"), survey, "location")
    if location is not None and team.location_id not in (None, location.pk):
        # A team is at one location (a person's team gives their location): another one
        # would count this team's feedback for a site it does not serve.
        raise serializers.ValidationError(
            {
                "location": [
                    f"Team {team.pk} is at location {team.location_id}, not {location.pk}: "
                    "leave the location out to use the team's."
                ]
            }
        )
    agent = _in_org(Person, data.get("agent"), survey, "agent")
    if agent is not None and survey.kind != SurveyKind.CX:
        raise serializers.ValidationError(
            {"agent": ["An agent is named on customer surveys only."]}
        )
    # The audit entry goes into the response's own insert statement: one round trip less.
    audit = api_write_entry(request, status=status.HTTP_201_CREATED)
    response = response_submit(
        survey=survey,
        answers=[{"question": a["question"], "value": a["value"]} for a in data["answers"]],
        team=team,
        location=location,
        agent=agent,
        channel=Channel.IMPORT if submitted_at else Channel.API,
        submitted_at=submitted_at,
        submission_key=data.get("submission_key") or None,
        audit=audit,
    )
    if audit.pk is not None:
        api_write_recorded(request)
    return response.pk


class SurveyResponsesView(_CollectionView):
    @extend_schema(
        request=ResponseInSerializer,
        responses={201: inline_serializer("ResponseCreated", {"id": serializers.IntegerField()})},
    )
    def post(self, request, pk: int):
        membership = _author(request)
        try:
            data, errors = _response_body(request.data)
        except exceptions.ParseError as error:  # raised later, after the survey's 404/403
            data, errors = None, error
        response_id = _store_response(request._request, membership, pk, data, errors)
        return Response({"id": response_id}, status=status.HTTP_201_CREATED)


_ACCEPT_JSON = frozenset({"", "*/*", "application/json"})
_CREATED_HEADERS = {"Vary": "Accept", "Allow": "POST, OPTIONS"}  # as DRF's 201


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: DRF's parser refuses them too


def _fast_post(request, pk: int) -> HttpResponse | None:
    """The 201 of the usual integration call, answered without REST framework's per-request
    machinery, else None and `SurveyResponsesView` answers (every error included: its
    messages and status codes stay the only ones).

    The usual call: a token, a JSON body of the plain shape (`response_body_plain`), no query
    string, JSON accepted. Its checks are the DRF view's: the token's active member (read in
    one query with the survey and the body's team), the author role, the throttle, then
    `_store_response`. Where any of them fails nothing has been stored, and the DRF view,
    answering, finds the same error and words it; the throttle counts the call once either
    way. DRF's request, negotiation, parsers and renderer, and the separate reads, were about
    a tenth of the API's time per call (benchmarks/README.md, 61.).
    """
    meta = request.META
    scheme, _, key = meta.get("HTTP_AUTHORIZATION", "").partition(" ")
    if (
        request.method != "POST"
        or scheme.lower() != "token"
        or not key.isalnum()
        or not key.isascii()
        or request.GET
        or request.content_type != "application/json"
        or (request.encoding or "utf-8").lower() != "utf-8"
        or meta.get("HTTP_ACCEPT", "") not in _ACCEPT_JSON
    ):
        return None
    try:
        data = response_body_plain(json.loads(request.body, parse_constant=_refuse_constant))
    except (ValueError, RecursionError, RequestDataTooBig):
        return None
    if data is None:
        return None
    # The token's member, the survey and the body's team: one query.
    membership, (survey, team) = membership_and_rows_for_token(
        key, ((Survey, pk), (Team, data["team"]))
    )
    if membership is None or not can_author(membership) or survey is None or team is None:
        return None
    request.user = membership.user  # as DRF sets it: the audit entry names the caller
    if not ApiTokenThrottle().allow_user(request, membership.user):
        return None
    try:
        response_id = _store_response(request, membership, pk, data, None, (survey, team))
    except (Http404, DjangoPermissionDenied, exceptions.APIException, DjangoValidationError):
        return None
    return HttpResponse(
        b'{"id":%d}' % response_id,
        status=status.HTTP_201_CREATED,
        content_type="application/json",
        headers=_CREATED_HEADERS,
    )


_survey_responses_drf = SurveyResponsesView.as_view()


@functools.wraps(_survey_responses_drf)  # keeps `cls`, `csrf_exempt`: the schema, the audit
def survey_responses(request, pk: int):
    """POST /api/v1/surveys/<pk>/responses/: `_fast_post`, else `SurveyResponsesView`."""
    if (response := _fast_post(request, pk)) is not None:
        return response
    return _survey_responses_drf(request, pk=pk)


class SurveyInvitationsView(_CollectionView):
    @extend_schema(
        request=InvitationsInSerializer,
        responses={200: inline_serializer("InvitationsSent", {"sent": serializers.IntegerField()})},
    )
    def post(self, request, pk: int):
        survey = _survey_for_caller(request, pk)
        body = InvitationsInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data["teams"]
        teams = list(Team.objects.filter(pk__in=ids, organization_id=survey.organization_id))
        missing = sorted(set(ids) - {t.pk for t in teams})
        if missing:
            raise serializers.ValidationError(
                {"teams": [f"Unknown team: {', '.join(map(str, missing))}."]}
            )
        sent = invitations_send(
            survey=survey, teams=teams or None, user=request.user, request=request
        )
        return Response({"sent": sent})


def _participation_fields() -> dict:
    """Invited and answered of a team or of the total; answered and rate are null when hidden
    under the anonymity threshold (rate also when nobody was invited)."""
    return {
        "invited": serializers.IntegerField(),
        "answered": serializers.IntegerField(allow_null=True),
        "rate": serializers.FloatField(allow_null=True, help_text="% answered, one decimal"),
        "suppressed": serializers.BooleanField(),
    }


# The body of issue 3's participation (the view returns participation_by_team's dict as it is).
PARTICIPATION_SCHEMA = extend_schema(
    parameters=[OpenApiParameter("cycle", int, description="Round number (default: the latest)")],
    responses=inline_serializer(
        "Participation",
        {
            "survey": serializers.IntegerField(),
            "cycle": serializers.IntegerField(
                allow_null=True, help_text="Round number; null before the first round"
            ),
            "threshold": serializers.IntegerField(help_text="The anonymity threshold"),
            "teams": inline_serializer(
                "ParticipationTeam", {"team": GroupRef(), **_participation_fields()}, many=True
            ),
            "total": inline_serializer("ParticipationTotal", _participation_fields()),
        },
    ),
)


class SurveyParticipationView(_CollectionView):
    @PARTICIPATION_SCHEMA
    def get(self, request, pk: int):
        survey = _survey_for_caller(request, pk)
        cycle = None
        if number := request.query_params.get("cycle"):
            if number.isdecimal():  # not isdigit: int() refuses a digit such as "²"
                cycle = Cycle.objects.filter(survey=survey, number=int(number)).first()
            if cycle is None:
                raise serializers.ValidationError({"cycle": [f"Unknown round: {number}."]})
        return Response(participation_by_team(survey=survey, cycle=cycle))
