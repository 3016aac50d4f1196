"""factory_boy factories for every model tests build."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboards.models import (
    Alert,
    AlertCondition,
    AlertMetric,
    AlertPeriod,
    AlertRule,
    AlertScope,
    OutboxKind,
    OutboxMessage,
    WebhookEndpoint,
)
from responses.models import Answer, Channel, Response
from surveys.models import (
    CustomerLink,
    Cycle,
    Department,
    Invitation,
    Location,
    Membership,
    Organization,
    Person,
    Question,
    Role,
    Survey,
    SurveyKind,
    SurveyStatus,
    Team,
)

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Location {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    department = factory.SubFactory(
        DepartmentFactory, organization=factory.SelfAttribute("..organization")
    )
    location = factory.SubFactory(
        LocationFactory, organization=factory.SelfAttribute("..organization")
    )
    name = factory.Sequence(lambda n: f"Team {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organization = factory.SubFactory(OrganizationFactory)
    team = factory.SubFactory(TeamFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.STAFF
    team = None


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    organization = factory.SubFactory(OrganizationFactory)
    kind = SurveyKind.EX
    title = factory.Sequence(lambda n: f"Survey {n}")
    anonymous = True
    status = SurveyStatus.LIVE
    published_at = factory.LazyFunction(timezone.now)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    order = factory.Sequence(lambda n: n)
    type = "nps"
    text = factory.Sequence(lambda n: f"Question {n}?")
    required = True


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    survey = factory.SubFactory(SurveyFactory)
    team = factory.SubFactory(
        TeamFactory, organization=factory.SelfAttribute("..survey.organization")
    )
    location = factory.LazyAttribute(lambda o: o.team.location if o.team else None)
    channel = Channel.API
    submitted_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(
        QuestionFactory, survey=factory.SelfAttribute("..response.survey")
    )


def response_with_answers(
    *, survey, team=None, answers: dict, submitted_at=None, **fields
) -> Response:
    """A stored response with its answers: {question: 7 or "a comment"}. Queues no task."""
    response = ResponseFactory(
        survey=survey,
        team=team,
        location=fields.pop("location", team.location if team else None),
        submitted_at=submitted_at or timezone.now(),
        **fields,
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=question,
            value_int=value if isinstance(value, int) else None,
            value_text=value if isinstance(value, str) else "",
        )
        for question, value in answers.items()
    )
    return response


# --- Alerts and deliveries ------------------------------------------------------------------


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    survey = factory.SubFactory(SurveyFactory)
    number = factory.Sequence(lambda n: n + 1)
    opens_at = factory.LazyFunction(timezone.now)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    person = factory.SubFactory(
        PersonFactory, organization=factory.SelfAttribute("..survey.organization")
    )
    team = factory.SelfAttribute("person.team")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")


def invite_teams(*, survey, cycle, plan: dict) -> None:
    """Invitations of one round: {team: (invited, answered)}, each to a new person of the team;
    the first `answered` of them used."""
    for team, (invited, answered) in plan.items():
        for n in range(invited):
            InvitationFactory(
                survey=survey,
                cycle=cycle,
                person=PersonFactory(organization=survey.organization, team=team),
                team=team,
                used_at=timezone.now() if n < answered else None,
            )


class AlertRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertRule
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    kind = SurveyKind.EX
    name = factory.Sequence(lambda n: f"Rule {n}")
    metric = AlertMetric.ENPS
    condition = AlertCondition.BELOW
    threshold = 0.0
    period = AlertPeriod.MONTH
    scope = AlertScope.ORGANIZATION

    @factory.post_generation
    def owners(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.owners.set(extracted)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    organization = factory.SubFactory(OrganizationFactory)
    survey = factory.SubFactory(SurveyFactory, organization=factory.SelfAttribute("..organization"))
    rule = factory.SubFactory(
        AlertRuleFactory,
        organization=factory.SelfAttribute("..organization"),
        kind=factory.SelfAttribute("..survey.kind"),
    )
    metric = factory.SelfAttribute("rule.metric")
    scope_key = "org"
    scope_label = factory.SelfAttribute("organization.name")
    period_key = factory.Sequence(lambda n: f"2026-{n % 12 + 1:02d}-{n}")
    period_label = "2026-02"
    value = -20.0
    message = "eNPS for the organisation in 2026-02 is -20, below 0."


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    organization = factory.SubFactory(OrganizationFactory)
    kind = SurveyKind.EX
    url = "http://127.0.0.1:9/hook"
    secret = factory.Sequence(lambda n: f"secret-{n}")


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    organization = factory.SubFactory(OrganizationFactory)
    survey_kind = SurveyKind.EX
    kind = OutboxKind.EMAIL
    event = "alert.created"
    target = "owner@example.com"
    payload = factory.LazyFunction(lambda: {"subject": "Alert", "body": "Something happened."})


class CustomerLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerLink

    survey = factory.SubFactory(SurveyFactory, kind=SurveyKind.CX)
    team = factory.SubFactory(
        TeamFactory, organization=factory.SelfAttribute("..survey.organization")
    )
    location = factory.SelfAttribute("team.location")
    label = factory.Sequence(lambda n: f"Counter {n}")
