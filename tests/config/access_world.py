"""The world the URL access test walks: two organisations built the same way.

Each side has the four roles, two teams, a live EX and a live CX survey with answers (five per
team, at the anonymity threshold, rollups rebuilt), an invitation with a known token, a customer
link, alerts, alert rules, webhook endpoints and outbox messages of both kinds, and a person.
"Ours" is the organisation under test; "theirs" holds the outsider (their HR admin).

Every name, comment and alert message carries a marker, so a response can be searched for what
it must not show: the other organisation's marker, the other kind's comments and alerts, or (for a
team lead) the other team's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core import signing

from dashboards.models import Alert, AlertRule, OutboxMessage, WebhookEndpoint
from dashboards.scoring import survey_rebuild
from responses.views import THANKS_SALT
from surveys.distribution import customer_link_signed
from surveys.models import (
    CustomerLink,
    Invitation,
    Membership,
    Organization,
    Person,
    Question,
    Role,
    Survey,
    SurveyKind,
    Team,
    token_hash,
)
from tests.factories import (
    AlertFactory,
    AlertRuleFactory,
    CustomerLinkFactory,
    MembershipFactory,
    OrganizationFactory,
    OutboxMessageFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    WebhookEndpointFactory,
    response_with_answers,
)

OURS = "Acme7f3"
THEIRS = "Zenith9q2"
KINDS = (SurveyKind.EX, SurveyKind.CX)
PER_TEAM = 5  # the default anonymity threshold: both teams are shown


def secret(mark: str, kind: str, what: str, team: str = "") -> str:
    """The text of a comment or an alert message: "Acme7f3-ex-comment-night". The prefixes
    say who must not see it (the other kind's owner; for "night", our team lead)."""
    return f"{mark}-{kind}-{what}-{team}"


@dataclass
class Side:
    mark: str
    org: Organization
    team: Team
    other_team: Team
    hr_admin: Membership
    cx_manager: Membership
    team_lead: Membership
    staff: Membership
    person: Person
    token: str
    link: CustomerLink | None = None
    surveys: dict[str, Survey] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    other_team_alerts: dict[str, Alert] = field(default_factory=dict)
    rules: dict[str, AlertRule] = field(default_factory=dict)
    webhooks: dict[str, WebhookEndpoint] = field(default_factory=dict)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)
    counterpart: Side | None = None  # the other organisation's side, for mixed ids

    @property
    def ex(self) -> Survey:
        return self.surveys[SurveyKind.EX]

    @property
    def cx(self) -> Survey:
        return self.surveys[SurveyKind.CX]

    @property
    def link_signed(self) -> str:
        return customer_link_signed(self.link)

    @property
    def thanks_signed(self) -> str:
        return signing.dumps({"s": self.cx.pk, "lang": "en"}, salt=THANKS_SALT)


@dataclass
class AccessWorld:
    ours: Side
    theirs: Side

    def member(self, role: str) -> Membership | None:
        """The signed-in membership for a role of the table (None: anonymous)."""
        if role == "anonymous":
            return None
        if role == "outsider":
            return self.theirs.hr_admin
        return getattr(self.ours, role)


def _survey(side_org: Organization, mark: str, kind: str, teams: tuple[Team, Team]):
    survey = SurveyFactory(
        organization=side_org,
        kind=kind,
        title=f"{mark} {kind} survey",
        anonymous=kind == SurveyKind.EX,  # the CX one can be exported response by response
    )
    score = QuestionFactory(
        survey=survey,
        type="nps" if kind == SurveyKind.EX else "csat",
        text=f"{mark} score?",
        is_outcome=True,
    )
    comment = QuestionFactory(survey=survey, type="text", text=f"{mark} why?", required=False)
    for team, where in zip(teams, ("front", "night"), strict=True):
        for index in range(PER_TEAM):
            answers = {score: 9 if kind == SurveyKind.EX else 4}
            if index == 0:
                answers[comment] = secret(mark, kind, "comment", where)
            response_with_answers(survey=survey, team=team, answers=answers)
    survey_rebuild(survey_id=survey.pk)
    return survey, score


def side_build(mark: str) -> Side:
    org = OrganizationFactory(name=f"{mark} Org")
    team = TeamFactory(organization=org, name=f"{mark} Front desk")
    other_team = TeamFactory(organization=org, name=f"{mark} Night shift")
    members = {
        role: MembershipFactory(
            organization=org,
            role=value,
            team=team if value in (Role.TEAM_LEAD, Role.STAFF) else None,
        )
        for role, value in (
            ("hr_admin", Role.HR_ADMIN),
            ("cx_manager", Role.CX_MANAGER),
            ("team_lead", Role.TEAM_LEAD),
            ("staff", Role.STAFF),
        )
    }
    person = PersonFactory(organization=org, team=team, name=f"{mark} Person")
    side = Side(
        mark=mark,
        org=org,
        team=team,
        other_team=other_team,
        person=person,
        token=f"{mark}-access-token-0123456789abcdef",
        **members,
    )
    owners = {SurveyKind.EX: side.hr_admin.user, SurveyKind.CX: side.cx_manager.user}
    for kind in KINDS:
        survey, question = _survey(org, mark, kind, (team, other_team))
        side.surveys[kind], side.questions[kind] = survey, question
        rule = AlertRuleFactory(organization=org, kind=kind, owners=[owners[kind]])
        side.rules[kind] = rule
        side.alerts[kind], side.other_team_alerts[kind] = (
            AlertFactory(
                organization=org,
                survey=survey,
                rule=rule,
                team=alert_team,
                scope_label=secret(mark, kind, "alert", where),
                message=secret(mark, kind, "alert", where),
            )
            for alert_team, where in ((team, "front"), (other_team, "night"))
        )
        side.webhooks[kind] = WebhookEndpointFactory(organization=org, kind=kind)
        side.outbox[kind] = OutboxMessageFactory(organization=org, survey_kind=kind)
    Invitation.objects.create(
        survey=side.ex, person=person, team=team, token_hash=token_hash(side.token)
    )
    side.link = CustomerLinkFactory(survey=side.cx, team=team, label=f"{mark} counter")
    return side


def access_world_build() -> AccessWorld:
    ours, theirs = side_build(OURS), side_build(THEIRS)
    ours.counterpart, theirs.counterpart = theirs, ours
    return AccessWorld(ours=ours, theirs=theirs)
