"""Building the demo organisation, stage by stage, from the cast in `surveys.demo.cast`."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from dashboards.datagen.load import organization_delete, rows_writer
from dashboards.datagen.model import (
    MOOD_NOISE,
    Respondent,
    ResponseRow,
    customer_health,
    health_series,
)
from dashboards.datagen.text import email_local, person_names
from dashboards.scoring import scores_rebuild
from responses.models import Answer, Channel, Response
from surveys.demo.cast import (
    CX_DAILY,
    DEPARTMENTS,
    DOMAIN,
    EX_ROUNDS,
    MONTHS,
    NAMED_SURVEYS,
    ORG_NAME,
    PASSWORD,
    PORTLAND,
    REMIND_AFTER_DAYS,
    SEATTLE,
    SEED,
    STRAIN,
    TEAMS,
    USERS,
    VANCOUVER,
    TeamSpec,
)
from surveys.distribution import customer_link_create, pulse_occurrence, pulse_schedule_save
from surveys.models import (
    Cycle,
    Department,
    Driver,
    Frequency,
    Invitation,
    Location,
    Organization,
    Person,
    Survey,
    SurveyKind,
    Team,
    token_hash,
)
from surveys.services import member_add, survey_create_from_template, survey_publish

Log = Callable[[str], None]


def demo_seed(
    *,
    reset: bool = False,
    small: bool = False,
    log: Log = print,
    now: dt.datetime | None = None,
) -> dict:
    """Build the demo organisation unless it exists (or rebuild it with `reset`).

    `small` keeps the organisation and the employee answers but a quarter of the customer
    answers (for tests).

    Returns counts: teams, people, surveys, responses, answers, and `created` (False when the
    organisation was already there and left alone).
    """
    started = time.perf_counter()
    existing = Organization.objects.filter(name=ORG_NAME).first()
    if existing is not None and not reset:
        log(f"“{ORG_NAME}” already exists; nothing changed (use --reset to rebuild it).")
        return {**_counts(existing), "created": False, "seconds": time.perf_counter() - started}
    with transaction.atomic():
        if existing is not None:
            organization_delete(organization=existing)
            log(f"Reset: deleted “{ORG_NAME}”")
        demo = Demo(
            rng=random.Random(SEED),
            now=now or timezone.now(),
            log=log,
            customer_scale=0.25 if small else 1.0,
        )
        demo.build()
    return {**_counts(demo.organization), "created": True, "seconds": time.perf_counter() - started}


def _counts(organization: Organization) -> dict:
    responses = Response.objects.filter(survey__organization=organization)
    return {
        "organization": organization,
        "locations": organization.locations.count(),
        "departments": organization.departments.count(),
        "teams": organization.teams.count(),
        "people": organization.people.count(),
        "surveys": organization.surveys.count(),
        "responses": responses.count(),
        "answers": Answer.objects.filter(response__in=responses).count(),
    }


@dataclass
class DemoTeam:
    spec: TeamSpec
    team: Team
    people: list[int] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    offsets: list[dict[str, float]] = field(default_factory=list)  # per month, by driver


class Demo:
    """One build of the demo organisation; each stage logs a line with its counts."""

    def __init__(
        self, *, rng: random.Random, now: dt.datetime, log: Log, customer_scale: float = 1.0
    ) -> None:
        self.rng, self.now, self.log, self.customer_scale = rng, now, log, customer_scale
        self.writer = rows_writer()
        self.starts_on = _pulse_start(now)
        # Month m runs from the m-th pulse round to the next one: calendar months.
        self.bounds = [
            pulse_occurrence(starts_on=self.starts_on, frequency=Frequency.MONTHLY, index=m)
            for m in range(MONTHS + 1)
        ]

    def build(self) -> None:
        stages = (
            self._organization,
            self._users,
            self._surveys,
            self._employee_answers,
            self._customer_answers,
            self._rollups,
            self._alert_rules,
        )
        for stage in stages:
            started = time.perf_counter()
            message = stage()
            if message:
                self.log(f"{message} ({time.perf_counter() - started:.1f} s)")

    # --- Structure ---------------------------------------------------------------------------

    def _organization(self) -> str:
        org = self.organization = Organization.objects.create(name=ORG_NAME)
        departments = {
            name: Department.objects.create(organization=org, name=name) for name in DEPARTMENTS
        }
        locations = {
            name: Location.objects.create(organization=org, name=name)
            for name in (SEATTLE, PORTLAND, VANCOUVER)
        }
        self.teams = [
            DemoTeam(
                spec=spec,
                team=Team.objects.create(
                    organization=org,
                    name=spec.name,
                    department=departments[spec.department],
                    location=locations[spec.location],
                ),
            )
            for spec in TEAMS
        ]
        for demo_team in self.teams:
            self._team_model(demo_team)
        self._people()
        return (
            f"Organisation: {ORG_NAME}, {len(locations)} locations, {len(departments)} "
            f"departments, {len(self.teams)} teams, {self.people_count} people"
        )

    def _team_model(self, demo_team: DemoTeam) -> None:
        spec = demo_team.spec
        demo_team.health = health_series(
            rng=self.rng,
            months=MONTHS,
            base=spec.health,
            trend=spec.trend,
            trend_from=spec.trend_from,
            step=0.05,
        )
        quirks = {driver: self.rng.gauss(0, 0.2) for driver in Driver.values}
        for month in range(MONTHS):
            strain = max(0.0, -spec.trend * (month - spec.trend_from)) if spec.trend < 0 else 0.0
            demo_team.offsets.append(
                {d: quirks[d] + STRAIN.get(d, 0.0) * strain for d in Driver.values}
            )

    def _people(self) -> None:
        """Every team gets its people; the first is its lead. Demo users are among them."""
        named = {u.team: [] for u in USERS}
        for user in USERS:
            named[user.team].append(user)
        names = iter(person_names(rng=self.rng, count=sum(t.spec.size for t in self.teams)))
        rows = [
            Person(organization=self.organization, name=u.name, email=u.email) for u in named[None]
        ]
        emails = {u.email for u in USERS}
        for demo_team in self.teams:
            users = named.get(demo_team.spec.name, [])
            for position in range(demo_team.spec.size):
                user = users[position] if position < len(users) else None
                name = user.name if user else next(names)
                email = user.email if user else f"{email_local(name)}@{DOMAIN}"
                if email in emails and not user:
                    email = f"{email_local(name)}.{demo_team.team.pk}@{DOMAIN}"
                emails.add(email)
                rows.append(
                    Person(
                        organization=self.organization,
                        team=demo_team.team,
                        name=name,
                        email=email,
                        is_lead=position == 0,
                    )
                )
        created = Person.objects.bulk_create(rows)
        by_team = {t.team.pk: t for t in self.teams}
        for person in created:
            if person.team_id:
                by_team[person.team_id].people.append(person.pk)
        self.people_count = len(created)
        self.demo_person_ids = {p.pk for p in created if p.email in {u.email for u in USERS}}

    def _users(self) -> str:
        self.members = {
            user.email: member_add(
                organization_name=ORG_NAME,
                email=user.email,
                password=PASSWORD,
                role=user.role,
                team_name=user.team,
            )
            for user in USERS
        }
        return f"Users: {len(self.members)}, one per role (password “{PASSWORD}”)"

    def _author(self, kind: str):
        email = USERS[0].email if kind == SurveyKind.EX else USERS[1].email
        return self.members[email].user

    def _surveys(self) -> str:
        self.surveys: dict[str, Survey] = {}
        for key in (*EX_ROUNDS, *CX_DAILY):
            kind = SurveyKind.EX if key in EX_ROUNDS else SurveyKind.CX
            survey = survey_create_from_template(
                organization=self.organization, user=self._author(kind), key=key
            )
            if key in NAMED_SURVEYS:
                survey.anonymous = False
                survey.save(update_fields=["anonymous"])
            survey = survey_publish(survey=survey)
            published = self.bounds[0] - dt.timedelta(days=3)
            Survey.objects.filter(pk=survey.pk).update(created_at=published, published_at=published)
            self.surveys[key] = survey
        links = 0
        for key in CX_DAILY:
            for demo_team in self._cx_teams(key):
                customer_link_create(
                    survey=self.surveys[key],
                    team=demo_team.team,
                    label=f"{demo_team.team.name} · {self.surveys[key].title}",
                    user=self._author(SurveyKind.CX),
                )
                links += 1
        ex = sum(1 for s in self.surveys.values() if s.kind == SurveyKind.EX)
        return (
            f"Surveys: {len(self.surveys)} from the template library "
            f"({ex} employee, {len(self.surveys) - ex} customer), {links} customer links"
        )

    def _cx_teams(self, key: str) -> list[DemoTeam]:
        return [t for t in self.teams if key != "ces_support" or t.spec.support]

    # --- Employee answers --------------------------------------------------------------------

    def _employee_answers(self) -> str:
        before = self.writer.stats.responses
        invitations = rounds = 0
        pulse = self.surveys["enps_pulse"]
        for key, months in EX_ROUNDS.items():
            survey = self.surveys[key]
            questions = list(survey.questions.order_by("order", "id"))
            for number, month in enumerate(months, start=1):
                cycle = self._cycle(survey, number, month)
                invitations += self._round(survey, questions, cycle, month)
                rounds += 1
        pulse_schedule_save(
            survey=pulse,
            frequency=Frequency.MONTHLY,
            teams=[],
            starts_on=self.starts_on,
            remind_after_days=REMIND_AFTER_DAYS,
        )
        return (
            f"Employee answers: {rounds} rounds of {len(EX_ROUNDS)} surveys, "
            f"{invitations:,} invitations, {self.writer.stats.responses - before:,} responses"
        )

    def _cycle(self, survey: Survey, number: int, month: int) -> Cycle:
        opens, closes = self.bounds[month], self.bounds[month + 1]
        pulse = survey.template_key == "enps_pulse"
        if not pulse:
            closes = opens + dt.timedelta(days=14)  # one-off rounds stay open two weeks
        return Cycle.objects.create(
            survey=survey,
            number=number,
            opens_at=opens,
            closes_at=closes,
            closed=closes <= self.now,
            pulse=pulse,  # its schedule's next run closes the open one
        )

    def _round(self, survey: Survey, questions: list, cycle: Cycle, month: int) -> int:
        """Invite everyone in a team; the team's health sets how many answer, and how.

        Most answer in the first days, the rest after the reminder; in a round still open,
        those whose moment has not come yet have not answered. The reminder is recorded once
        its day has come, as the schedule would have sent it (so it does not send it again).
        """
        employee = Respondent(rng=self.rng, kind="ex", comment_rate=0.35)
        invitations, rows = [], []
        ends = min(cycle.closes_at, self.now)
        reminder = cycle.opens_at + dt.timedelta(days=REMIND_AFTER_DAYS)
        for demo_team in self.teams:
            health = demo_team.health[month]
            rate = min(0.95, max(0.35, 0.72 + 0.2 * health + self.rng.gauss(0, 0.05)))
            # Demo users keep an unanswered invitation in an open round, to see it pending.
            eligible = [
                p for p in demo_team.people if cycle.closed or p not in self.demo_person_ids
            ]
            willing = self.rng.sample(
                eligible, k=min(len(eligible), round(len(demo_team.people) * rate))
            )
            moments = {p: cycle.opens_at + _answer_delay(self.rng) for p in willing}
            answered = {p: at for p, at in moments.items() if at < ends}
            invitations += [
                self._invitation(
                    survey,
                    cycle,
                    person,
                    demo_team,
                    used=person in answered,
                    reminded_at=reminder if answered.get(person, ends) > reminder else None,
                )
                for person in demo_team.people
            ]
            for at in answered.values():
                mood = health + self.rng.gauss(0, MOOD_NOISE)
                answers = employee.answers(
                    questions=questions, mood=mood, offsets=demo_team.offsets[month]
                )
                rows.append(self._row(survey, demo_team, at, answers, cycle))
        Invitation.objects.bulk_create(invitations)
        # As the answer service does on anonymous surveys, used_at records that, not when.
        Invitation.objects.filter(cycle=cycle).update(created_at=cycle.opens_at)
        self.writer.write(rows)
        return len(invitations)

    def _invitation(
        self, survey, cycle, person: int, demo_team: DemoTeam, used: bool, reminded_at=None
    ):
        # The token is never known: nobody can answer these rounds through a link.
        return Invitation(
            survey=survey,
            cycle=cycle,
            person_id=person,
            team=demo_team.team,
            token_hash=token_hash(f"demo-{self.rng.getrandbits(128):032x}"),
            sent_at=cycle.opens_at,
            used_at=cycle.opens_at if used else None,
            reminded_at=reminded_at,
            reminder_count=1 if reminded_at else 0,
        )

    # --- Customer answers --------------------------------------------------------------------

    def _customer_answers(self) -> str:
        before = self.writer.stats.responses
        for key, per_day in CX_DAILY.items():
            survey = self.surveys[key]
            questions = list(survey.questions.order_by("order", "id"))
            customer = Respondent(rng=self.rng, kind="cx", comment_rate=0.3)
            rows = []
            for demo_team in self._cx_teams(key):
                rate = per_day if per_day is not None else demo_team.spec.csat_per_day
                rate *= self.customer_scale
                rows.extend(self._customer_days(survey, questions, customer, demo_team, rate))
            self.writer.write(rows)
        return f"Customer answers: {self.writer.stats.responses - before:,} responses"

    def _customer_days(self, survey, questions, customer, demo_team: DemoTeam, rate: float):
        day = self.bounds[0].replace(hour=0, minute=0)
        month = 0
        while day < self.now:
            while month + 1 < MONTHS and day >= self.bounds[month + 1]:
                month += 1
            busy = 1.3 if day.weekday() >= 5 else 1.0  # hotels are fuller at weekends
            count = max(0, round(self.rng.gauss(rate * busy, math.sqrt(rate * busy))))
            for _ in range(count):
                mood = customer_health(demo_team.health, month) + self.rng.gauss(0, MOOD_NOISE)
                at = min(self.now, day + dt.timedelta(hours=7 + self.rng.random() * 15))
                answers = customer.answers(questions=questions, mood=mood)
                agent = self.rng.choice(demo_team.people) if not survey.anonymous else None
                yield self._row(survey, demo_team, at, answers, None, agent=agent)
            day += dt.timedelta(days=1)

    # --- Shared ------------------------------------------------------------------------------

    def _row(self, survey, demo_team, at, answers, cycle, *, agent=None) -> ResponseRow:
        return ResponseRow(
            survey_id=survey.pk,
            team_id=demo_team.team.pk,
            location_id=demo_team.team.location_id,
            cycle_id=cycle.pk if cycle else None,
            respondent_id=None,
            agent_id=agent,
            channel=Channel.INVITATION if survey.kind == SurveyKind.EX else Channel.LINK,
            language="fr" if self.rng.random() < 0.05 else "en",
            submitted_at=at,
            answers=answers,
        )

    def _rollups(self) -> str:
        rows = sum(scores_rebuild(survey_id=s.pk)["question_rows"] for s in self.surveys.values())
        return f"Rollups: {rows:,} question rows"

    def _alert_rules(self) -> str | None:
        """Hook: a few alert rules, when the alerts module offers demo rules.

        `dashboards.alerting.demo.demo_alert_rules_create(*, organization, owners) -> int`
        (owners: role -> User) adds them and returns how many; without it, none are added.
        """
        try:
            from dashboards.alerting.demo import demo_alert_rules_create
        except ModuleNotFoundError as exc:
            if exc.name not in ("dashboards.alerting", "dashboards.alerting.demo"):
                raise
            return None
        owners = {m.role: m.user for m in self.members.values()}
        created = demo_alert_rules_create(organization=self.organization, owners=owners)
        return f"Alert rules: {created}"


def _answer_delay(rng: random.Random) -> dt.timedelta:
    """How long after a round opens someone answers: mostly within three days, the rest after
    the day-three reminder, up to ten days."""
    if rng.random() < 0.7:
        return dt.timedelta(days=min(3.0, rng.expovariate(1.2)))
    return dt.timedelta(days=3 + 7 * rng.random())


def _pulse_start(now: dt.datetime) -> dt.date:
    """The first round's date. Rounds open on the 1st of six consecutive months, so a month on
    the dashboards is a round; the last is this month's once it has run three days (most
    answers are in by then), else last month's."""
    month = now.date().replace(day=1)
    opened = pulse_occurrence(starts_on=month, frequency=Frequency.MONTHLY, index=0)
    if now - opened < dt.timedelta(days=3):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    for _ in range(MONTHS - 1):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month
