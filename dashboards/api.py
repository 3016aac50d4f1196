"""API v1, scores: GET /api/v1/surveys/{id}/scores/ (the alerts and linkage APIs live elsewhere)."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards import results_cache
from dashboards.anonymity import WEEKS_NOT_ANONYMOUS
from dashboards.reads import shared_reads
from dashboards.selectors.scores import GROUP_BY, PERIODS, survey_scores
from surveys.models import Survey
from surveys.permissions import can_view_results, team_scope
from surveys.selectors import membership_for_user, survey_of_organization

# The dashboards' narrowing filters, refused by the scores API (it groups, never narrows).
NOT_SCORES_FILTERS = ("team", "department", "location", "agent")


class ScoresQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(GROUP_BY), default="none")
    period = serializers.ChoiceField(
        choices=list(PERIODS),
        default="all",
        help_text='"week" only for a survey that is not anonymous (400 otherwise)',
    )
    start = serializers.DateField(
        required=False, default=None, help_text="An anonymous survey reads from its month's 1st"
    )
    end = serializers.DateField(
        required=False, default=None, help_text="An anonymous survey reads to its month's end"
    )

    def validate(self, attrs):
        # The pages' narrowing filters are not this endpoint's: ignored, `?team=5` answered the
        # whole organisation's figures to a caller who thought they were the team's.
        narrowing = [name for name in NOT_SCORES_FILTERS if name in self.initial_data]
        if narrowing:
            raise serializers.ValidationError(
                {
                    name: [
                        f"The scores are not filtered by {name}: group_by=team, department or "
                        "location gives each group's figures."
                    ]
                    for name in narrowing
                }
            )
        if attrs["start"] and attrs["end"] and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["End must be on or after start."]})
        return attrs


class GroupRef(serializers.Serializer):
    """A team, department or location; id null for answers without one ("No team")."""

    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


def _figures(name: str, question_type: str, **fields: type[serializers.Field]):
    """One question's entry of a result (dashboards.metrics): its id, type, n and figures (field
    classes, made here so they follow n). Only questions someone answered are listed, so n > 0
    and no figure is null."""
    common = {
        "question": serializers.IntegerField(),
        "type": serializers.CharField(help_text=f'"{question_type}"'),
        "n": serializers.IntegerField(),
    }
    return inline_serializer(name, common | {key: field() for key, field in fields.items()})


_PCT = serializers.FloatField  # a percentage, one decimal
_MEAN = serializers.FloatField  # a mean, two decimals
_COUNT = serializers.IntegerField

# The body of the contract in issue 4 (the view returns survey_scores' dict as it is).
SCORES_SCHEMA = extend_schema(
    parameters=[ScoresQuerySerializer],
    responses=inline_serializer(
        "Scores",
        {
            "survey": serializers.IntegerField(),
            "group_by": serializers.ChoiceField(choices=list(GROUP_BY)),
            "period": serializers.ChoiceField(choices=list(PERIODS)),
            "threshold": serializers.IntegerField(help_text="The anonymity threshold"),
            "results": inline_serializer(
                "ScoreResult",
                {
                    "group": GroupRef(allow_null=True, help_text="null for group_by=none"),
                    "period": serializers.CharField(
                        help_text='"all", "2026-W07", "2026-02" or "2026-Q1"'
                    ),
                    "respondents": serializers.IntegerField(),
                    "suppressed": serializers.BooleanField(
                        help_text="Under the anonymity threshold (or a complement of a group "
                        "that is): no questions or engagement"
                    ),
                    "questions": PolymorphicProxySerializer(
                        component_name="ScoreQuestion",
                        resource_type_field_name="type",
                        serializers={
                            "nps": _figures(
                                "ScoreNps",
                                "nps",
                                score=_PCT,
                                promoters=_COUNT,
                                passives=_COUNT,
                                detractors=_COUNT,
                            ),
                            "csat": _figures("ScoreCsat", "csat", score=_PCT, mean=_MEAN),
                            "ces": _figures("ScoreCes", "ces", mean=_MEAN, pct_easy=_PCT),
                            "likert": _figures(
                                "ScoreLikert",
                                "likert",
                                favourable=_PCT,
                                neutral=_PCT,
                                unfavourable=_PCT,
                            ),
                        },
                        many=True,
                        required=False,
                    ),
                    "engagement": serializers.FloatField(
                        allow_null=True,
                        required=False,
                        help_text="Mean favourable % of the engagement items; null without "
                        "answers to them",
                    ),
                },
                many=True,
            ),
        },
    ),
)


def _survey_for_user(request, pk: int) -> tuple[Survey, int | None]:
    """The survey (404 outside the user's organisation, 403 without the right role) and the
    only team the user may see (team leads), else None."""
    membership = membership_for_user(user=request.user)
    if membership is None:
        raise PermissionDenied("You are not a member of an organisation.")
    survey = survey_of_organization(membership=membership, pk=pk)
    survey.organization = membership.organization  # the same row, read with the membership
    if not can_view_results(membership, survey.kind):
        raise PermissionDenied("Your role does not give access to this survey's results.")
    return survey, team_scope(membership)


class SurveyScoresView(APIView):
    """Figures per group and period, with groups under the anonymity threshold suppressed."""

    @SCORES_SCHEMA
    def get(self, request, pk: int):
        survey, team_id = _survey_for_user(request, pk)
        query = ScoresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if survey.anonymous and query.validated_data["period"] == "week":
            raise serializers.ValidationError({"period": [WEEKS_NOT_ANONYMOUS]})
        # Kept until the organisation's results change (dashboards.results_cache)
        asked = tuple(sorted(query.validated_data.items()))
        key = scores_key(survey, team_id, asked)
        body = results_cache.kept(key)
        if body is None:
            body = scores_keep(survey, team_id, asked, key)
            results_cache.viewed_note(  # computed ahead after scored batches (dashboards.refresh)
                organization_id=survey.organization_id,
                page=("scores", survey.pk, team_id, asked, translation.get_language()),
                user_id=request.user.pk,
            )
        return Response(body)


def scores_key(survey: Survey, team_id: int | None, asked: tuple) -> results_cache.Key | None:
    """The key a scores answer is kept under: the survey, the team it is narrowed to (a team
    lead's) and the validated query (`asked`: its sorted items)."""
    return results_cache.kept_key(
        organization=survey.organization,
        kinds=(survey.kind,),
        parts=("scores", survey.pk, team_id, list(asked)),
    )


def scores_keep(
    survey: Survey, team_id: int | None, asked: tuple, key: results_cache.Key | None
) -> dict:
    """The scores answer computed, and kept under `key`."""
    team_ids = [team_id] if team_id is not None else None
    with shared_reads():  # the anonymity rules read some respondents twice
        body = survey_scores(survey=survey, team_ids=team_ids, **dict(asked))
    results_cache.keep(key, body)
    return body
