"""A benchmark-sized organisation with EX and CX data (`manage.py generate_data`)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dashboards.datagen.load import (
    LoadStats,
    chunked,
    organization_delete,
    prefetched,
    rate,
    rows_writer,
    tables_analyze,
)
from dashboards.datagen.model import (
    MOOD_NOISE,
    Respondent,
    ResponseRow,
    customer_health,
    health_series,
)
from dashboards.datagen.text import CITIES, DEPARTMENTS, person_names
from dashboards.models import QuestionRollup, ResponseRollup
from dashboards.scoring import scores_rebuild
from responses.models import Answer, Channel, Response
from surveys.library import CES_SUPPORT, CSAT_POST, ENGAGEMENT, ENPS_PULSE, NPS_RELATIONSHIP
from surveys.models import (
    Cycle,
    Department,
    Driver,
    Location,
    Organization,
    Person,
    Question,
    Survey,
    SurveyKind,
    Team,
)
from surveys.services import survey_create, survey_publish

Log = Callable[[str], None]

MONTH = timedelta(days=30)
PULSE_DAYS = 14  # an EX pulse stays open two weeks of its month
EX_SHARE = 0.3  # of each team's monthly answers, at most (each person answers a pulse once)
CHUNK_ANSWERS = 50_000  # rows per COPY: big enough to be fast, small enough to stay lean
EX_DRIVERS = (Driver.RECOGNITION, Driver.TOOLS, Driver.WORKLOAD, Driver.WELLBEING)

# About five answers a response: five or so scored items, a comment about one time in three.
EX_QUESTIONS = [
    ENPS_PULSE.questions[0],
    *(q for q in ENGAGEMENT.questions if q["driver"] in EX_DRIVERS),
    ENPS_PULSE.questions[-1],
]
CX_QUESTIONS = [
    *CSAT_POST.questions[:2],  # CSAT, then "what went wrong?" when it is 2 or less
    NPS_RELATIONSHIP.questions[0],
    CES_SUPPORT.questions[0],
    NPS_RELATIONSHIP.questions[1],
    NPS_RELATIONSHIP.questions[2],
    CSAT_POST.questions[2],
]


class OrganizationExists(Exception):
    pass


@dataclass
class TeamShape:
    id: int
    location_id: int | None
    people: list[int]
    health: list[float]


@dataclass
class Shape:
    organization: Organization
    teams: list[TeamShape]
    ex: Survey
    cx: Survey
    cycles: list[int]
    ex_questions: list[Question] = field(default_factory=list)
    cx_questions: list[Question] = field(default_factory=list)


def data_generate(
    *,
    answers: int,
    teams: int,
    months: int,
    org_name: str,
    seed: int = 1,
    replace: bool = False,
    log: Log = print,
) -> dict:
    """Generate and load `answers` answers (exactly) for `teams` teams over `months` months.

    1. Build the organisation: departments, locations, teams, ~25 people a team, a live EX pulse
       with one cycle a month and a live CX survey.
    2. Stream responses in (month, team) blocks, each block getting its share of the answers,
       and write a chunk (COPY on PostgreSQL) every ~50,000 answers.
    3. Rebuild the rollups with the scoring engine, survey by survey.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.now()
    _make_room(org_name=org_name, replace=replace, log=log)
    stage = time.perf_counter()
    shape = _shape_build(rng=rng, org_name=org_name, teams=teams, months=months, now=now)
    people = sum(len(t.people) for t in shape.teams)
    log(
        f"Organisation: {len(shape.teams)} teams, {people:,} people, 2 surveys, "
        f"{months} cycles in {time.perf_counter() - stage:.1f} s"
    )
    stats = _load(_Stream(shape=shape, rng=rng, months=months, now=now), answers=answers, log=log)
    _rollups_build(shape, answers=stats.answers, log=log)
    return {
        "organization": shape.organization,
        "teams": len(shape.teams),
        "people": people,
        "responses": stats.responses,
        "answers": stats.answers,
        "question_rollups": QuestionRollup.objects.filter(
            survey__organization=shape.organization
        ).count(),
        "seconds": time.perf_counter() - started,
    }


def _make_room(*, org_name: str, replace: bool, log: Log) -> None:
    existing = Organization.objects.filter(name=org_name).first()
    if existing is None:
        return
    if not replace:
        raise OrganizationExists(
            f"Organisation “{org_name}” already exists: pass --replace, or another --org."
        )
    stage = time.perf_counter()
    organization_delete(organization=existing)
    log(f"Replaced: deleted “{org_name}” in {time.perf_counter() - stage:.1f} s")


def _load(stream: _Stream, *, answers: int, log: Log) -> LoadStats:
    """Rows are generated in a thread while the previous chunk is being written."""
    writer = rows_writer()
    stage = time.perf_counter()
    for chunk in prefetched(chunked(stream.rows(answers=answers), answers=CHUNK_ANSWERS)):
        writer.write(chunk)
        _progress(log, writer.stats, answers, time.perf_counter() - stage)
    seconds = time.perf_counter() - stage
    stats = writer.stats
    log(
        f"Responses: {stats.responses:,} and answers: {stats.answers:,} in {seconds:.1f} s "
        f"({rate(stats.answers, seconds)} answers, {rate(stats.responses, seconds)} "
        f"responses; writing {stats.seconds:.1f} s = {rate(stats.answers, stats.seconds)} answers)"
    )
    return stats


def _rollups_build(shape: Shape, *, answers: int, log: Log) -> None:
    stage = time.perf_counter()
    tables_analyze(Response, Answer)
    rows = {"question_rows": 0, "response_rows": 0}
    for survey in (shape.ex, shape.cx):
        done = scores_rebuild(survey_id=survey.id)
        rows = {key: rows[key] + done[key] for key in rows}
    tables_analyze(QuestionRollup, ResponseRollup)
    seconds = time.perf_counter() - stage
    log(
        f"Rollups: {rows['question_rows']:,} question rows, {rows['response_rows']:,} "
        f"response rows in {seconds:.1f} s ({rate(answers, seconds)} answers scored)"
    )


def _progress(log: Log, stats, total: int, seconds: float) -> None:
    log(
        f"  {stats.answers:,} / {total:,} answers ({100 * stats.answers / total:.0f} %), "
        f"{rate(stats.answers, seconds)}"
    )


# --- 1. The organisation ------------------------------------------------------------------


@transaction.atomic
def _shape_build(
    *, rng: random.Random, org_name: str, teams: int, months: int, now: datetime
) -> Shape:
    organization = Organization.objects.create(name=org_name)
    departments = Department.objects.bulk_create(
        Department(organization=organization, name=name)
        for name in DEPARTMENTS[: min(len(DEPARTMENTS), max(2, math.ceil(teams / 20)))]
    )
    locations = Location.objects.bulk_create(
        Location(organization=organization, name=name)
        for name in CITIES[: min(len(CITIES), max(2, math.ceil(teams / 15)))]
    )
    team_rows = Team.objects.bulk_create(
        Team(
            organization=organization,
            department=departments[i % len(departments)],
            location=locations[i % len(locations)],
            name=f"{departments[i % len(departments)].name} {i + 1:03d}",
        )
        for i in range(teams)
    )
    # Mostly 10-40 people; one team in thirty is tiny, below any anonymity threshold.
    sizes = [rng.randint(3, 4) if rng.random() < 1 / 30 else rng.randint(10, 40) for _ in team_rows]
    names = iter(person_names(rng=rng, count=sum(sizes)))
    people = Person.objects.bulk_create(
        Person(
            organization=organization, team=team, name=next(names), email=f"p{n}.{t}@example.com"
        )
        for t, (team, size) in enumerate(zip(team_rows, sizes, strict=True))
        for n in range(size)
    )
    by_team: dict[int, list[int]] = {team.id: [] for team in team_rows}
    for person in people:
        by_team[person.team_id].append(person.id)
    ex = _survey(organization, "Monthly pulse", SurveyKind.EX, EX_QUESTIONS)
    cx = _survey(organization, "Customer feedback", SurveyKind.CX, CX_QUESTIONS)
    start = now - months * MONTH
    cycles = Cycle.objects.bulk_create(
        Cycle(
            survey=ex,
            number=m + 1,
            opens_at=start + m * MONTH,
            closes_at=start + m * MONTH + timedelta(days=PULSE_DAYS),
            closed=True,
        )
        for m in range(months)
    )
    return Shape(
        organization=organization,
        teams=[
            TeamShape(team.id, team.location_id, by_team[team.id], _health(rng, months))
            for team in team_rows
        ],
        ex=ex,
        cx=cx,
        cycles=[cycle.id for cycle in cycles],
        ex_questions=list(ex.questions.order_by("order", "id")),
        cx_questions=list(cx.questions.order_by("order", "id")),
    )


def _survey(organization: Organization, title: str, kind: str, questions: list[dict]) -> Survey:
    survey = survey_create(
        organization=organization, user=None, title=title, kind=kind, questions=questions
    )
    return survey_publish(survey=survey)


def _health(rng: random.Random, months: int) -> list[float]:
    """One team in ten declines from mid-way, one in ten recovers; the rest wander."""
    draw = rng.random()
    trend = -0.25 if draw < 0.1 else 0.2 if draw < 0.2 else 0.0
    return health_series(
        rng=rng, months=months, base=rng.gauss(0.25, 0.35), trend=trend, trend_from=months // 2
    )


# --- 2. Responses, in (month, team) blocks ------------------------------------------------


@dataclass
class _Stream:
    shape: Shape
    rng: random.Random
    months: int
    now: datetime

    def __post_init__(self) -> None:
        self.employee = Respondent(rng=self.rng, kind="ex")
        self.customer = Respondent(rng=self.rng, kind="cx")
        self.start = self.now - self.months * MONTH

    def rows(self, *, answers: int) -> Iterator[ResponseRow]:
        """Responses whose answers add up to exactly `answers`.

        Each (month, team) block gets a share of the answers proportional to the team's size
        (cumulative rounding, so the shares add up exactly); a block's last response is cut
        short when it would overshoot.
        """
        weights = [len(team.people) for team in self.shape.teams]
        total_weight = sum(weights) * self.months
        done_weight = given = 0
        for month in range(self.months):
            for team, weight in zip(self.shape.teams, weights, strict=True):
                done_weight += weight
                target = round(answers * done_weight / total_weight) - given
                given += target
                yield from self._block(team, month, target)

    def _block(self, team: TeamShape, month: int, target: int) -> Iterator[ResponseRow]:
        """Employees answer first (at most a share of the block, each person once), then
        customers until the block's answers are all given."""
        health = team.health[month]
        ex_cap = int(len(team.people) * min(0.95, max(0.3, 0.65 + 0.2 * health)))
        written = ex_count = 0
        while written < target:
            if written < target * EX_SHARE and ex_count < ex_cap:
                ex_count += 1
                row = self._employee(team, month, health + self.rng.gauss(0, MOOD_NOISE))
            else:
                mood = customer_health(team.health, month) + self.rng.gauss(0, MOOD_NOISE)
                row = self._customer(team, month, mood)
            del row.answers[target - written :]
            written += len(row.answers)
            yield row

    def _employee(self, team: TeamShape, month: int, mood: float) -> ResponseRow:
        opens = self.start + month * MONTH
        return self._row(
            team,
            survey_id=self.shape.ex.id,
            cycle_id=self.shape.cycles[month],
            agent_id=None,
            channel=Channel.INVITATION,
            at=opens + timedelta(seconds=self.rng.random() * PULSE_DAYS * 86400),
            answers=self.employee.answers(questions=self.shape.ex_questions, mood=mood),
        )

    def _customer(self, team: TeamShape, month: int, mood: float) -> ResponseRow:
        opens = self.start + month * MONTH
        window = min(MONTH, self.now - opens).total_seconds()
        return self._row(
            team,
            survey_id=self.shape.cx.id,
            cycle_id=None,
            agent_id=self.rng.choice(team.people) if team.people else None,
            channel=Channel.LINK,
            at=opens + timedelta(seconds=self.rng.random() * window),
            answers=self.customer.answers(questions=self.shape.cx_questions, mood=mood),
        )

    def _row(self, team: TeamShape, **values) -> ResponseRow:
        return ResponseRow(
            team_id=team.id,
            location_id=team.location_id,
            respondent_id=None,
            language="fr" if self.rng.random() < 0.1 else "en",
            submitted_at=values.pop("at"),
            **values,
        )
