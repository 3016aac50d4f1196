"""API v1, authoring: surveys with their questions, publish/close, and teams (org-chart sync).

Serializers check the shape and the shared rules (surveys.validation); services do the writes.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from config.api import IndexedListSerializer
from surveys import services
from surveys.languages import LANGUAGE_RE, is_language_code
from surveys.models import (
    ConditionOp,
    Driver,
    Membership,
    Question,
    QuestionType,
    Survey,
    SurveyKind,
    Team,
)
from surveys.permissions import authorable_kinds, can_author
from surveys.selectors import membership_for_user
from surveys.validation import (
    INTRO_TOO_LONG,
    LANGUAGE_CODE_MESSAGE,
    MAX_INTRO_LENGTH,
    question_errors,
    translations_default_language_error,
)
from surveys.views import survey_for_author

# --- Serializers -------------------------------------------------------------------------------


class QuestionSerializer(serializers.ModelSerializer):
    # Declared for the schema: a read-only model field loses allow_blank, so the schema's enum
    # left out the "" these hold for a question without a driver or a condition.
    driver = serializers.ChoiceField(choices=Driver.choices, allow_blank=True, read_only=True)
    condition_op = serializers.ChoiceField(
        choices=ConditionOp.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Question
        fields = [
            "id",
            "order",
            "type",
            "text",
            "help_text",
            "required",
            "choices",
            "driver",
            "is_outcome",
            "condition_question",
            "condition_op",
            "condition_value",
            "translations",
        ]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "title",
            "kind",
            "status",
            "anonymous",
            "intro",
            "thank_you",
            "language",
            "translations",
            "template_key",
            "created_at",
            "published_at",
            "closed_at",
            "questions",
        ]
        read_only_fields = fields


class QuestionInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=QuestionType.values)
    text = serializers.CharField(max_length=500)
    help_text = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    required = serializers.BooleanField(default=False)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    driver = serializers.ChoiceField(
        choices=Driver.values, required=False, default="", allow_blank=True
    )
    is_outcome = serializers.BooleanField(default=False)
    translations = serializers.DictField(
        child=serializers.DictField(), required=False, default=dict
    )

    def validate(self, attrs):
        errors = question_errors(
            type=attrs["type"],
            text=attrs["text"],
            choices=attrs["choices"],
            driver=attrs["driver"],
            is_outcome=attrs["is_outcome"],
            translations=attrs["translations"],
        )
        if errors:
            raise serializers.ValidationError({k: [v] for k, v in errors.items()})
        return attrs

    class Meta:
        list_serializer_class = IndexedListSerializer


class SurveyCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SurveyKind.values)
    anonymous = serializers.BooleanField(default=True)
    intro = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=MAX_INTRO_LENGTH,
        error_messages={"max_length": INTRO_TOO_LONG},
    )
    thank_you = serializers.CharField(
        required=False, default="Thank you for your feedback.", allow_blank=True
    )
    language = serializers.RegexField(
        LANGUAGE_RE.pattern,
        max_length=8,
        default="en",
        error_messages={"invalid": LANGUAGE_CODE_MESSAGE},
    )
    questions = QuestionInputSerializer(many=True, allow_empty=False)

    def validate_language(self, value: str) -> str:
        if not is_language_code(value):
            raise serializers.ValidationError(LANGUAGE_CODE_MESSAGE)
        return value

    def validate(self, attrs):
        errors = [
            translations_default_language_error(q["translations"], language=attrs["language"])
            for q in attrs["questions"]
        ]
        if any(errors):
            raise serializers.ValidationError(
                {"questions": [{"translations": [e]} if e else {} for e in errors]}
            )
        return attrs


class TeamSerializer(serializers.Serializer):
    """A team, its department and location by name (found or created on POST)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    department = serializers.CharField(
        source="department.name", max_length=200, required=False, allow_null=True, allow_blank=True
    )
    location = serializers.CharField(
        source="location.name", max_length=200, required=False, allow_null=True, allow_blank=True
    )


# --- Views -------------------------------------------------------------------------------------


def _author(request) -> Membership:
    membership = membership_for_user(user=request.user)
    if not can_author(membership):
        raise PermissionDenied("Only HR admins and CX managers can use this endpoint.")
    return membership


class SurveyListView(GenericAPIView):
    """The caller's organisation's surveys of the kinds they author; create one with questions."""

    queryset = Survey.objects.all()
    serializer_class = SurveySerializer

    def get_queryset(self):
        membership = _author(self.request)
        return Survey.objects.filter(
            organization=membership.organization, kind__in=authorable_kinds(membership)
        ).prefetch_related("questions")

    @extend_schema(responses=SurveySerializer(many=True))
    def get(self, request):
        return Response(SurveySerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=SurveyCreateSerializer, responses={201: SurveySerializer})
    def post(self, request):
        membership = _author(request)
        serializer = SurveyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not can_author(membership, serializer.validated_data["kind"]):
            raise PermissionDenied("Your role does not author this kind of survey.")
        survey = services.survey_create(
            organization=membership.organization, user=request.user, **serializer.validated_data
        )
        return Response(SurveySerializer(survey).data, status=status.HTTP_201_CREATED)


class SurveyDetailView(GenericAPIView):
    queryset = Survey.objects.all()
    serializer_class = SurveySerializer

    def get(self, request, pk: int):
        survey = survey_for_author(membership=_author(request), pk=pk)
        return Response(SurveySerializer(survey).data)


class _SurveyActionView(GenericAPIView):
    queryset = Survey.objects.all()
    serializer_class = SurveySerializer
    transition = staticmethod(services.survey_publish)

    @extend_schema(request=None, responses=SurveySerializer)
    def post(self, request, pk: int):
        survey = survey_for_author(membership=_author(request), pk=pk)
        survey = self.transition(survey=survey, user=request.user, request=request)
        return Response(SurveySerializer(survey).data)


class SurveyPublishView(_SurveyActionView):
    """Draft -> live (a live survey stays live). 400 when there is nothing to publish."""

    transition = staticmethod(services.survey_publish)


class SurveyCloseView(_SurveyActionView):
    """Live -> closed (a closed survey stays closed). 400 for a draft."""

    transition = staticmethod(services.survey_close)


class TeamListView(GenericAPIView):
    """The organisation's teams. POST finds or creates one by name (200 found, 201 created)."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer

    def get_queryset(self):
        membership = _author(self.request)
        return Team.objects.filter(organization=membership.organization).select_related(
            "department", "location"
        )

    @extend_schema(responses=TeamSerializer(many=True))
    def get(self, request):
        return Response(TeamSerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=TeamSerializer, responses={200: TeamSerializer, 201: TeamSerializer})
    def post(self, request):
        membership = _author(request)
        serializer = TeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team, created = services.team_get_or_create(
            organization=membership.organization,
            name=data["name"],
            department=(data.get("department") or {}).get("name"),
            location=(data.get("location") or {}).get("name"),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(TeamSerializer(team).data, status=code)
