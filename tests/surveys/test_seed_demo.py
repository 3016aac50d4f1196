"""seed_demo: the demo organisation's promised shape, idempotence, and EX and CX moving together.

The demo (`small`: a quarter of the customer answers) is built once for the module and committed,
then removed at the end; each test runs in its own rolled-back transaction on top of it, so
`--reset` can be tried too.
"""

from __future__ import annotations

import datetime as dt
import statistics
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db.models import Avg, Count, Q, Sum

from dashboards.datagen.load import organization_delete
from dashboards.models import QuestionRollup, ResponseRollup
from dashboards.selectors.linkage import early_warnings
from responses.models import Answer, Response
from surveys.demo import DECLINING, ORG_NAME, PASSWORD, SLIPPING, USERS, demo_seed
from surveys.distribution import pulses_tick
from surveys.models import (
    Cycle,
    Invitation,
    Membership,
    Organization,
    Person,
    Role,
    Survey,
    SurveyKind,
    SurveyStatus,
    Team,
)

pytestmark = pytest.mark.django_db

SCORED = ("nps", "likert", "csat", "ces")
# A fixed "now" keeps the random draws, and so every figure below, the same on any day.
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo_seed(small=True, now=NOW, log=lambda line: None)
        yield Organization.objects.get(name=ORG_NAME)
        organization_delete(organization=Organization.objects.get(name=ORG_NAME))
        get_user_model().objects.filter(username__in=[u.email for u in USERS]).delete()


def counts(org: Organization) -> dict:
    responses = Response.objects.filter(survey__organization=org)
    return {
        "teams": org.teams.count(),
        "people": org.people.count(),
        "members": org.memberships.count(),
        "users": get_user_model().objects.filter(username__in=[u.email for u in USERS]).count(),
        "surveys": org.surveys.count(),
        "cycles": Cycle.objects.filter(survey__organization=org).count(),
        "invitations": Invitation.objects.filter(survey__organization=org).count(),
        "responses": responses.count(),
        "answers": Answer.objects.filter(response__in=responses).count(),
        "rollup_n": QuestionRollup.objects.filter(survey__organization=org).aggregate(n=Sum("n"))[
            "n"
        ],
        "values": Answer.objects.filter(response__in=responses).aggregate(s=Sum("value_int"))["s"],
    }


def test_demo_has_the_promised_organisation(demo):
    assert demo.locations.count() == 3
    assert demo.departments.count() == 4
    assert demo.teams.count() >= 12
    assert demo.people.count() >= 150
    assert not Team.objects.filter(organization=demo, department=None).exists()
    # Every team has exactly one lead.
    leads = Team.objects.filter(organization=demo).annotate(
        leads=Count("people", filter=Q(people__is_lead=True))
    )
    assert {team.leads for team in leads} == {1}
    emails = list(demo.people.values_list("email", flat=True))
    assert len(set(emails)) == len(emails)


def test_one_user_per_role_signs_in_with_the_printed_password(demo, client):
    roles = Membership.objects.filter(organization=demo).values_list("role", flat=True)
    assert sorted(roles) == sorted(
        [Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD, Role.TEAM_LEAD, Role.STAFF]
    )
    for user in USERS:
        assert client.login(username=user.email, password=PASSWORD), user.email
    lead = Membership.objects.get(user__username="lead.portland@northwind.example")
    assert lead.team.name == "Portland Restaurant"
    assert Person.objects.get(user=lead.user).is_lead


def test_second_run_changes_nothing(demo):
    before = counts(demo)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts(demo) == before
    assert "nothing changed" in out.getvalue()
    assert "hr@northwind.example" in out.getvalue()  # credentials are printed again


def test_reset_rebuilds_the_demo(demo):
    before = counts(demo)
    out = StringIO()
    call_command("seed_demo", "--reset", "--small", stdout=out)
    org = Organization.objects.get(name=ORG_NAME)
    assert org.pk != demo.pk
    after = counts(org)
    # Today's date moves the six months, so only the structure is the same as the fixture's.
    structure = ("teams", "people", "members", "users", "surveys", "cycles", "invitations")
    assert {k: after[k] for k in structure} == {k: before[k] for k in structure}
    assert after["responses"] > 3000
    assert "Demo ready: 1 org, 14 teams" in out.getvalue()


def test_surveys_come_from_the_library_and_are_live(demo):
    surveys = {s.template_key: s for s in Survey.objects.filter(organization=demo)}
    assert set(surveys) == {
        "enps_pulse",
        "engagement",
        "wellbeing",
        "frontline_voice",
        "csat_post_interaction",
        "nps_relationship",
        "ces_support",
    }
    assert {s.status for s in surveys.values()} == {SurveyStatus.LIVE}
    assert all(s.anonymous for s in surveys.values() if s.kind == SurveyKind.EX)
    assert not surveys["csat_post_interaction"].anonymous
    # Anonymous responses name nobody; the named CSAT records the agent who served.
    ex = Response.objects.filter(survey__organization=demo, survey__kind=SurveyKind.EX)
    assert not ex.filter(Q(respondent__isnull=False) | Q(agent__isnull=False)).exists()
    csat = Response.objects.filter(survey=surveys["csat_post_interaction"])
    assert not csat.filter(agent__isnull=True).exists()


def test_pulse_rounds_match_used_invitations(demo):
    pulse = Survey.objects.get(organization=demo, template_key="enps_pulse")
    cycles = list(Cycle.objects.filter(survey=pulse).order_by("number"))
    assert len(cycles) == 6
    assert [c.closed for c in cycles] == [True] * 5 + [False]  # the current round is open
    assert pulse.schedule.next_run_at > cycles[-1].opens_at
    people = Person.objects.filter(organization=demo, team__isnull=False).count()
    for cycle in cycles:
        invited = Invitation.objects.filter(cycle=cycle)
        assert invited.count() == people
        used = invited.filter(used_at__isnull=False).values("team").annotate(n=Count("id"))
        answered = Response.objects.filter(cycle=cycle).values("team").annotate(n=Count("id"))
        assert {r["team"]: r["n"] for r in used} == {r["team"]: r["n"] for r in answered}
        assert 0.3 < sum(r["n"] for r in used) / people < 1


def test_demo_users_still_have_the_open_pulse_to_answer(demo):
    pending = Invitation.objects.filter(
        person__user__username__in=[u.email for u in USERS if u.team],
        cycle__closed=False,
        survey__template_key="enps_pulse",
    )
    assert pending.count() == 3
    assert not pending.filter(used_at__isnull=False).exists()


def test_the_open_rounds_day_three_reminder_is_recorded_so_the_schedule_sends_none(
    demo, django_capture_on_commit_callbacks
):
    """Who had not answered three days after the round opened was reminded then (the story
    of the late answers): the schedule's first pulses tick, when the demo starts, finds
    nothing left to send."""
    pulse = Survey.objects.get(organization=demo, template_key="enps_pulse")
    cycle = Cycle.objects.get(survey=pulse, closed=False)
    assert cycle.opens_at == dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    day_three = dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC)
    unanswered = Invitation.objects.filter(cycle=cycle, used_at__isnull=True).count()
    answered_late = Response.objects.filter(cycle=cycle, submitted_at__gt=day_three).count()
    reminded = Invitation.objects.filter(cycle=cycle, reminder_count=1, reminded_at=day_three)
    assert unanswered > 0 and answered_late > 0
    assert reminded.count() == unanswered + answered_late
    assert not Invitation.objects.filter(cycle=cycle, reminder_count=0, used_at__isnull=True)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert pulses_tick() == []
    assert mail.outbox == []


def test_concierge_team_stays_under_the_anonymity_threshold(demo):
    concierge = Team.objects.get(organization=demo, name="Seattle Concierge")
    assert concierge.people.count() == 4 < demo.anonymity_threshold
    per_cycle = (
        Response.objects.filter(team=concierge, survey__kind=SurveyKind.EX)
        .values("cycle")
        .annotate(n=Count("id"))
    )
    assert max(row["n"] for row in per_cycle) < demo.anonymity_threshold


def monthly_scores(org: Organization, team_name: str) -> tuple[list[float], list[float]]:
    """Mean eNPS answer per pulse round and mean CSAT over the same month, for one team."""
    team = Team.objects.get(organization=org, name=team_name)
    cycles = list(Cycle.objects.filter(survey__organization=org, survey__template_key="enps_pulse"))
    ex, cx = [], []
    for cycle in sorted(cycles, key=lambda c: c.number):
        answers = Answer.objects.filter(response__team=team)
        ex.append(
            answers.filter(response__cycle=cycle, question__type="nps").aggregate(
                m=Avg("value_int")
            )["m"]
        )
        cx.append(
            answers.filter(
                question__type="csat",
                response__submitted_at__gte=cycle.opens_at,
                response__submitted_at__lt=cycle.closes_at,
            ).aggregate(m=Avg("value_int"))["m"]
        )
    return ex, cx


@pytest.mark.parametrize("team_name", DECLINING)
def test_declining_teams_ex_and_cx_fall_together(demo, team_name):
    ex, cx = monthly_scores(demo, team_name)
    assert ex[-1] < ex[0] - 1.5  # eNPS answers down by more than a point and a half
    assert cx[-1] < cx[0] - 0.3
    assert statistics.correlation(ex, cx) > 0.5


def test_a_healthy_team_stays_healthy(demo):
    ex, cx = monthly_scores(demo, "Seattle Front Desk")
    assert min(ex) > 7.5
    assert min(cx) > 4.2


def test_rollups_add_up_to_the_raw_answers(demo):
    answers = Answer.objects.filter(response__survey__organization=demo)
    rollups = QuestionRollup.objects.filter(survey__organization=demo)
    scored = answers.filter(question__type__in=SCORED)
    assert rollups.filter(question__type__in=SCORED).aggregate(n=Sum("n"))["n"] == scored.count()
    assert (
        rollups.filter(question__type__in=SCORED).aggregate(t=Sum("total"))["t"]
        == scored.aggregate(t=Sum("value_int"))["t"]
    )
    responses = ResponseRollup.objects.filter(survey__organization=demo)
    assert (
        responses.aggregate(n=Sum("responses"))["n"]
        == Response.objects.filter(survey__organization=demo).count()
    )
    assert not Response.objects.filter(survey__organization=demo, scored_at__isnull=True).exists()


def test_comments_come_in_three_tones_with_sentiment(demo):
    comments = Answer.objects.filter(response__survey__organization=demo, question__type="text")
    labels = dict(comments.values_list("sentiment_label").annotate(n=Count("id")))
    assert set(labels) == {"positive", "neutral", "negative"}
    assert min(labels.values()) > 100
    assert not comments.filter(sentiment_score__isnull=True).exists()


def test_display_logic_is_respected(demo):
    """'What went wrong?' is only answered after a CSAT of 2 or less."""
    csat = Survey.objects.get(organization=demo, template_key="csat_post_interaction")
    follow_up = csat.questions.get(condition_question__isnull=False)
    answered = Response.objects.filter(answers__question=follow_up)
    assert answered.exists()
    assert not answered.filter(
        answers__question=follow_up.condition_question, answers__value_int__gt=2
    ).exists()


def test_early_warning_lists_the_team_that_just_started_slipping(demo):
    """Its eNPS fell this month while its customers, who feel it a month later, have not yet."""
    pulse = Survey.objects.get(organization=demo, template_key="enps_pulse")
    csat = Survey.objects.get(organization=demo, template_key="csat_post_interaction")
    warnings = early_warnings(
        ex_survey=pulse, cx_survey=csat, ex_metric="enps", cx_metric="csat", period="month"
    )
    assert warnings["period"] == "2026-03"
    slipping = [t for t in warnings["teams"] if t["team"]["name"] == SLIPPING]
    assert len(slipping) == 1
    assert slipping[0]["ex_change"] < -30
