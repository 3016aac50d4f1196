"""Writes for the organisation chart: teams, people (CSV import) and members who sign in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower

from config.audit import AuditAction, audit_record
from surveys.models import Department, Location, Membership, Organization, Person, Role, Team
from surveys.services.organization import member_save
from surveys.signals import results_changed

MAX_ROWS = 10_000
NAME_MAX = 200
REQUIRED_COLUMNS = ("name", "email", "team")
OPTIONAL_COLUMNS = ("department", "location", "lead")
YES = {"yes", "y", "true", "1", "x", "lead"}
NO = {"no", "n", "false", "0", ""}


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    message: str


@dataclass(frozen=True)
class TeamMove:
    """An existing team that the file put in another department or location."""

    team: str
    place: str  # "department" or "location"
    before: str | None
    after: str

    def __str__(self) -> str:
        return f"{self.team} → {self.after} (was {self.before or 'none'})"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    teams_created: int = 0
    people_moved: int = 0  # existing people put in another team
    preview: bool = False  # nothing was saved: what importing the file would do
    new_departments: list[str] = field(default_factory=list)
    new_locations: list[str] = field(default_factory=list)
    moves: list[TeamMove] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def departments_created(self) -> int:
        return len(self.new_departments)

    @property
    def locations_created(self) -> int:
        return len(self.new_locations)

    @property
    def headline(self) -> str:
        moved = f" ({self.people_moved} to another team)" if self.people_moved else ""
        counts = (
            f"{_count(self.created, 'person', 'people')} added, {self.updated} updated{moved}, "
            f"{_count(self.teams_created, 'new team')}."
        )
        if self.preview:
            return f"Nothing is imported yet. Importing this file would give: {counts}"
        return f"Imported: {counts}"

    @property
    def changes(self) -> list[str]:
        """What else the import changed, a sentence each: teams moved, places created."""
        lines = []
        for place in ("department", "location"):
            moved = [str(move) for move in self.moves if move.place == place]
            if moved:
                verb = "would move" if self.preview else "moved"
                lines.append(
                    f"{_count(len(moved), 'team')} {verb} to another {place}: {_listed(moved)}."
                )
        for place, names in (
            ("department", self.new_departments),
            ("location", self.new_locations),
        ):
            if names:
                verb = "would be created" if self.preview else "created"
                lines.append(f"{_count(len(names), f'new {place}')} {verb}: {_listed(names)}.")
        return lines


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _listed(items: list[str], most: int = 10) -> str:
    shown = ", ".join(items[:most])
    return f"{shown} and {len(items) - most} more" if len(items) > most else shown


def _named(
    model: type[models.Model], *, organization: Organization, names: Iterable[str]
) -> tuple[dict[str, models.Model], list[str]]:
    """Departments or locations by lower-cased name, creating the missing ones (also returned,
    by name, sorted). A new one is spelt as `names` first spells it."""
    existing = {obj.name.lower(): obj for obj in model.objects.filter(organization=organization)}
    missing: dict[str, str] = {}
    for name in names:
        if name and name.lower() not in existing:
            missing.setdefault(name.lower(), name)
    for key, name in missing.items():
        existing[key] = model.objects.create(organization=organization, name=name)
    return existing, sorted(missing.values(), key=str.lower)


def team_get_or_create(
    *,
    organization: Organization,
    name: str,
    department: str | None = None,
    location: str | None = None,
) -> tuple[Team, bool]:
    """The team with this name (any case), or a new one with its department and location, which
    are found or created by name. An existing team is returned unchanged, so a sync can re-run."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError({"name": f"Give the team a name of 1 to {NAME_MAX} characters."})
    team = Team.objects.filter(organization=organization, name__iexact=name).first()
    if team is not None:
        return team, False
    try:
        with transaction.atomic():
            departments, _ = _named(Department, organization=organization, names={department or ""})
            locations, _ = _named(Location, organization=organization, names={location or ""})
            team = Team.objects.create(
                organization=organization,
                name=name,
                department=departments.get((department or "").lower()),
                location=locations.get((location or "").lower()),
            )
    except IntegrityError:
        # Another request created it between our read and our write.
        return Team.objects.get(organization=organization, name__iexact=name), False
    return team, True


# --- CSV import -----------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    name: str
    email: str
    team: str
    department: str
    location: str
    is_lead: bool | None  # None: the file has no lead column, so each person keeps theirs


def people_import_csv(
    *,
    organization: Organization,
    file,
    user: AbstractBaseUser | None = None,
    request=None,
    preview: bool = False,
) -> ImportReport:
    """Imports people from CSV (name, email, team, department, location, lead).

    1. Read and check every row, collecting errors with their row numbers.
    2. Any error: import nothing and return the report.
    3. Otherwise, in one transaction, create missing departments, locations and teams, then
       create new people and update existing ones (matched by email, any case), and record the
       import in the audit log. A column the file leaves out changes nothing: without a lead
       column everyone keeps their lead status, without department or location every team
       stays where it is.
    `preview`: the same steps, rolled back and not audited: the report says what importing the
    file would do (the people page shows it before the admin confirms).
    """
    report = ImportReport(preview=preview)
    rows = _rows_parse(file, report)
    if not report.ok:
        return report
    try:
        with transaction.atomic():
            _rows_save(organization, rows, report)
            if preview:
                transaction.set_rollback(True)
            else:
                _import_audit(organization, report, user=user, request=request)
    except IntegrityError:
        report.errors.append(
            RowError(0, "Someone changed the organisation at the same moment. Import again.")
        )
    return report


def _delimiter(text: str) -> str:
    """The header line's separator: a comma, or the semicolon (spreadsheets in locales with a
    decimal comma save "CSV" so) or tab it holds more of."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def _rows_parse(file, report: ImportReport) -> list[_Row]:
    raw = file.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        report.errors.append(RowError(1, "The file is not UTF-8 text. Save it as CSV UTF-8."))
        return []
    records = _records(text, report)
    header = [h.strip().lower().rstrip("?").strip() for h in next(records, (1, []))[1]]
    if not report.ok:
        return []
    if message := _header_error(header):
        report.errors.append(RowError(1, message))
        return []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    teams: dict[str, tuple[int, str, str]] = {}
    for number, values in records:
        if any("\n" in v or "\r" in v for v in values):
            # No column holds a line break: a quote opened here swallowed the lines after it.
            report.errors.append(RowError(number, UNCLOSED_QUOTE))
            break
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            report.errors.append(RowError(number, f"Import at most {MAX_ROWS} people at a time."))
            break
        cells = dict(zip(header, (v.strip() for v in values), strict=False))
        messages = _row_errors(cells, values, header)
        email = cells.get("email", "").lower()
        if email in seen:
            messages.append(f"{email} already appears on row {seen[email]}.")
        seen.setdefault(email, number)
        messages += _team_conflicts(cells, number, teams)
        report.errors += [RowError(number, message) for message in messages]
        if not messages:
            rows.append(_row_build(number, cells, has_lead="lead" in header))
    if not rows and not report.errors:
        report.errors.append(RowError(2, "The file has no people in it."))
    return rows


UNCLOSED_QUOTE = (
    'A quote (") opened in this row is not closed, so the rows after it were read as part of '
    "one cell. Close the quote or remove it."
)


def _records(text: str, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """The file's rows with their numbers (the header is row 1). A row the csv module cannot
    read ends the file with an error on that row."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            yield number, values
    except csv.Error as error:
        report.errors.append(RowError(number + 1, _csv_error_message(error)))


def _csv_error_message(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        limit = f"{csv.field_size_limit():,}"
        return (
            f"A cell in this row is longer than {limit} characters, far more than a name, email "
            "or team. Check this is the right file, saved as CSV."
        )
    return f"This row cannot be read as CSV ({error}). Check its quotes and separators."


def _header_error(header: list[str]) -> str:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return (
            f"Missing column(s): {', '.join(missing)}. Expected: "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}."
        )
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        return (
            f"The column(s) {', '.join(repeated)} appear more than once in the first row. "
            "Keep one of each."
        )
    return ""


def _row_errors(cells: dict[str, str], values: list[str], header: list[str]) -> list[str]:
    messages = []
    if len(values) > len(header):
        messages.append(f"Has {len(values)} values but the header has {len(header)} columns.")
    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            messages.append(f"The {column} is missing.")
    for column in ("name", "team", "department", "location"):
        if len(cells.get(column, "")) > NAME_MAX:
            messages.append(f"The {column} is longer than {NAME_MAX} characters.")
    if cells.get("email"):
        try:
            validate_email(cells["email"])
        except ValidationError:
            messages.append(f"“{cells['email']}” is not a valid email address.")
    if cells.get("lead", "").lower() not in YES | NO:
        messages.append(f"Lead must be yes or no, not “{cells['lead']}”.")
    return messages


def _team_conflicts(
    cells: dict[str, str], number: int, teams: dict[str, tuple[int, str, str]]
) -> list[str]:
    """The same team must not be given two different departments or locations in one file."""
    team = cells.get("team", "").lower()
    if not team:
        return []
    place = (cells.get("department", ""), cells.get("location", ""))
    first = teams.setdefault(team, (number, *place))
    clashes = [
        f"{label} {here} here but {there} on row {first[0]}"
        for label, here, there in zip(("department", "location"), place, first[1:], strict=True)
        if here and there and here.lower() != there.lower()
    ]
    return [f"Team {cells['team']} has {'; '.join(clashes)}."] if clashes else []


def _row_build(number: int, cells: dict[str, str], *, has_lead: bool) -> _Row:
    return _Row(
        number=number,
        name=cells["name"],
        email=cells["email"].lower(),
        team=cells["team"],
        department=cells.get("department", ""),
        location=cells.get("location", ""),
        is_lead=cells.get("lead", "").lower() in YES if has_lead else None,
    )


def _rows_save(organization: Organization, rows: list[_Row], report: ImportReport) -> None:
    departments, report.new_departments = _named(
        Department, organization=organization, names=[r.department for r in rows]
    )
    locations, report.new_locations = _named(
        Location, organization=organization, names=[r.location for r in rows]
    )
    teams = {
        t.name.lower(): t
        for t in Team.objects.filter(organization=organization).select_related(
            "department", "location"
        )
    }
    created, changed_teams = set(), []
    for row in rows:
        team = teams.get(row.team.lower())
        if team is None:
            team = teams[row.team.lower()] = Team.objects.create(
                organization=organization, name=row.team
            )
            created.add(team.pk)
            report.teams_created += 1
        # The file is the source of truth for where a team sits, when it says (the page says so);
        # the report names each existing team it moves.
        if row.department:
            _team_place(team, "department", departments[row.department.lower()], report, created)
        if row.location:
            _team_place(team, "location", locations[row.location.lower()], report, created)
        changed_teams.append(team)
    Team.objects.bulk_update(set(changed_teams), ["department", "location"])
    _people_save(organization, rows, teams, report)


def _team_place(
    team: Team, place: str, to: Department | Location, report: ImportReport, created: set[int]
) -> None:
    """Put the team in this department or location; a move of an existing team is reported."""
    before = getattr(team, place)
    if before == to:
        return
    if team.pk not in created:
        report.moves.append(TeamMove(team.name, place, before.name if before else None, to.name))
    setattr(team, place, to)


def _people_save(
    organization: Organization, rows: list[_Row], teams: dict[str, Team], report: ImportReport
) -> None:
    existing = {
        p.email_lower: p
        for p in Person.objects.filter(organization=organization)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=[r.email for r in rows])
    }
    new, changed = [], []
    for row in rows:
        person = existing.get(row.email) or Person(organization=organization, email=row.email)
        team = teams[row.team.lower()]
        if person.pk and person.team_id != team.pk:
            report.people_moved += 1
        person.name, person.team = row.name, team
        if row.is_lead is not None:
            person.is_lead = row.is_lead
        person.is_active = True
        (changed if person.pk else new).append(person)
    Person.objects.bulk_create(new)
    Person.objects.bulk_update(changed, ["name", "team", "is_lead", "is_active"])
    # bulk_create and bulk_update send no signal (teams moved above too)
    results_changed(organization_id=organization.pk)
    report.created, report.updated = len(new), len(changed)


def _import_audit(organization: Organization, report: ImportReport, *, user, request) -> None:
    audit_record(
        organization=organization,
        user=user,
        action=AuditAction.PEOPLE_IMPORT,
        detail={
            "created": report.created,
            "updated": report.updated,
            "teams_created": report.teams_created,
            "teams_moved": len(report.moves),
            "people_moved": report.people_moved,
        },
        request=request,
    )


# --- Members who sign in --------------------------------------------------------------------


@transaction.atomic
def member_add(
    *, organization_name: str, email: str, password: str, role: str, team_name: str | None = None
) -> Membership:
    """Creates (or updates) a user with a role in an organisation, and their Person record. A
    new role (or a changed one) is recorded in the audit log (member_save).

        The username is the email. Re-running with the same email updates password, role and team.
        A user belongs to one organisation (the app acts in their first), so another is refused.
    """
    email = (email or "").strip().lower()
    errors = {}
    if role not in Role.values:
        errors["role"] = f"Role must be one of: {', '.join(Role.values)}."
    elif role == Role.TEAM_LEAD and not (team_name or "").strip():
        errors["team"] = "A team lead needs a team: give the team's name."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = f"“{email}” is not a valid email address."
    if not password:
        errors["password"] = "Give a password."
    if not (organization_name or "").strip():
        errors["org"] = "Give the organisation's name."
    elsewhere = (
        Membership.objects.filter(user__username=email)
        .exclude(organization__name=(organization_name or "").strip())
        .select_related("organization")
        .first()
    )
    if elsewhere is not None:
        errors["org"] = (
            f"{email} is already a member of {elsewhere.organization}; "
            "a user belongs to one organisation."
        )
    if errors:
        raise ValidationError(errors)
    organization, _ = Organization.objects.get_or_create(name=organization_name.strip())
    team = None
    if team_name:
        team, _ = team_get_or_create(organization=organization, name=team_name)
    user, _ = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
    user.email = email
    user.set_password(password)
    user.save()
    membership = Membership.objects.filter(user=user, organization=organization).first()
    membership = membership or Membership(user=user, organization=organization)
    membership.role, membership.team = role, team
    member_save(membership=membership, user=None)  # a command's: recorded as the system's
    person, _ = Person.objects.get_or_create(
        organization=organization,
        email__iexact=email,
        defaults={"email": email, "name": email.split("@")[0].replace(".", " ").title()},
    )
    person.user, person.is_lead = user, role == Role.TEAM_LEAD
    person.team = team or person.team
    person.save()
    return membership
