from __future__ import annotations

import io

import pytest

from surveys.models import Department, Location, Person, Team
from surveys.services import people_import_csv, team_get_or_create
from tests.factories import DepartmentFactory, LocationFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,team,department,location,lead\n"


def _import(org, text: str):
    return people_import_csv(organization=org, file=io.BytesIO(text.encode()))


def test_import_creates_people_teams_departments_and_locations(world):
    report = _import(
        world.org,
        HEADER
        + "Ana Silva,Ana@Example.com,Checkout,Stores,Lyon,yes\n"
        + "Ben Okafor,ben@example.com,Checkout,Stores,Lyon,no\n"
        + "Chloé Martin,chloe@example.com,Front desk,Hotels,Paris,\n",
    )
    assert report.ok, report.errors
    assert (report.created, report.updated) == (3, 0)
    assert (report.teams_created, report.departments_created, report.locations_created) == (1, 2, 2)
    ana = Person.objects.get(organization=world.org, email="ana@example.com")
    assert ana.is_lead and ana.team.name == "Checkout"
    assert ana.team.department.name == "Stores" and ana.team.location.name == "Lyon"
    # "Front desk" already existed in the world fixture: it is reused and moved.
    world.team.refresh_from_db()
    assert Person.objects.get(email="chloe@example.com").team == world.team
    assert world.team.department.name == "Hotels"


@pytest.fixture
def seattle(world):
    """Seattle Front Desk, in Front Office at Seattle, with two people; Housekeeping and Portland
    Pearl exist too."""
    team = TeamFactory(
        organization=world.org,
        name="Seattle Front Desk",
        department=DepartmentFactory(organization=world.org, name="Front Office"),
        location=LocationFactory(organization=world.org, name="Seattle"),
    )
    PersonFactory.create_batch(2, organization=world.org, team=team)
    DepartmentFactory(organization=world.org, name="Housekeeping")
    LocationFactory(organization=world.org, name="Portland Pearl")
    return team


def test_import_reports_each_team_it_moves(world, seattle):
    report = _import(
        world.org,
        HEADER + "Ana,ana@example.com,seattle front desk,Housekeeping,Portland Pearl,\n",
    )
    assert report.ok
    seattle.refresh_from_db()
    assert (seattle.department.name, seattle.location.name) == ("Housekeeping", "Portland Pearl")
    assert seattle.people.count() == 3  # the whole team moved, not only Ana
    assert report.headline == "Imported: 1 person added, 0 updated, 0 new teams."
    assert report.changes == [
        "1 team moved to another department: Seattle Front Desk → Housekeeping (was Front Office).",
        "1 team moved to another location: Seattle Front Desk → Portland Pearl (was Seattle).",
    ]


def test_import_reports_a_misspelt_department_it_creates(world, seattle):
    report = _import(
        world.org,
        HEADER
        + "Ana,ana@example.com,Seattle Front Desk,Houskeeping,Seattle,\n"
        + "Ben,ben@example.com,Seattle Front Desk,houskeeping,seattle,\n",
    )
    assert report.ok
    assert report.changes == [
        "1 team moved to another department: Seattle Front Desk → Houskeeping (was Front Office).",
        "1 new department created: Houskeeping.",
    ]
    assert report.departments_created == 1 and report.locations_created == 0


def test_import_reports_no_move_when_teams_stay_or_are_new(world, seattle):
    report = _import(
        world.org,
        HEADER
        + "Ana,ana@example.com,Seattle Front Desk,Front Office,,\n"  # where it already is
        + "Ben,ben@example.com,Seattle Front Desk,,,\n"  # says nothing: stays
        + "Cleo,cleo@example.com,Laundry,Housekeeping,Portland Pearl,\n",  # a new team
    )
    assert report.ok and report.moves == []
    assert report.headline == "Imported: 3 people added, 0 updated, 1 new team."
    assert report.changes == []


def test_import_report_lists_ten_moves_then_counts_the_rest(world):
    TeamFactory.create_batch(12, organization=world.org, department=None)
    names = list(Team.objects.filter(department=None).values_list("name", flat=True))
    rows = "".join(f"P{i},p{i}@example.com,{name},Stores,,\n" for i, name in enumerate(names))
    [moved, created] = _import(world.org, HEADER + rows).changes
    assert moved.startswith("12 teams moved to another department: ")
    assert moved.count("→ Stores (was none)") == 10 and moved.endswith(" and 2 more.")
    assert created == "1 new department created: Stores."


def test_import_updates_existing_people_by_email_any_case(world):
    person = PersonFactory(
        organization=world.org, email="dan@example.com", name="Dan", team=world.team
    )
    report = _import(world.org, HEADER + "Daniel Roy,DAN@example.com,Night shift,,,Y\n")
    assert report.ok
    assert (report.created, report.updated) == (0, 1)
    person.refresh_from_db()
    assert (person.name, person.team, person.is_lead) == ("Daniel Roy", world.other_team, True)
    assert Person.objects.filter(organization=world.org).count() == 1


def test_import_accepts_lead_question_mark_header_and_bom(world):
    text = "\ufeffName,Email,Team,Lead?\nEve,eve@example.com,Ops,TRUE\n"
    report = people_import_csv(organization=world.org, file=io.BytesIO(text.encode()))
    assert report.ok and report.created == 1
    assert Person.objects.get(email="eve@example.com").is_lead


@pytest.mark.parametrize("separator", [";", "\t"])
def test_import_reads_semicolon_and_tab_separated_files(world, separator):
    """Spreadsheets in locales with a decimal comma save "CSV" with semicolons; a comma inside a
    cell then stays part of it."""
    text = separator.join(["name", "email", "team", "lead"]) + "\n"
    text += separator.join(["Okafor, Ben", "ben@example.com", "Ops", "no"]) + "\n"
    report = _import(world.org, text)
    assert report.ok, report.errors
    assert Person.objects.get(email="ben@example.com").name == "Okafor, Ben"


def test_bad_rows_are_reported_by_row_number_and_nothing_is_imported(world):
    report = _import(
        world.org,
        HEADER
        + "Ana,ana@example.com,Checkout,Stores,Lyon,yes\n"  # row 2: fine
        + "Ben,not-an-email,Checkout,Stores,Lyon,no\n"  # row 3
        + "Cleo,cleo@example.com,Checkout,Stores,Lyon,maybe\n"  # row 4
        + "Ana again,ANA@example.com,Checkout,Stores,Lyon,\n"  # row 5
        + "Dev,dev@example.com,,Stores,Lyon,\n"  # row 6
        + "Fay,fay@example.com,Checkout,Warehouse,Lyon,\n",  # row 7
    )
    assert not report.ok
    by_row = {e.row: e.message for e in report.errors}
    assert sorted(by_row) == [3, 4, 5, 6, 7]
    assert "not-an-email" in by_row[3]
    assert "maybe" in by_row[4]
    assert "row 2" in by_row[5]
    assert "team is missing" in by_row[6]
    assert "Warehouse" in by_row[7] and "row 2" in by_row[7]
    assert not Person.objects.filter(organization=world.org).exists()
    assert not Team.objects.filter(name="Checkout").exists()
    assert not Department.objects.filter(name="Stores").exists()
    assert not Location.objects.filter(name="Lyon").exists()


def test_missing_columns_and_empty_file_are_reported(world):
    report = _import(world.org, "name,mail\nAna,ana@example.com\n")
    assert [e.row for e in report.errors] == [1]
    assert "email, team" in report.errors[0].message
    assert _import(world.org, HEADER).errors[0].message == "The file has no people in it."


def test_non_utf8_file_is_reported(world):
    report = people_import_csv(organization=world.org, file=io.BytesIO("é".encode("latin-1")))
    assert "UTF-8" in report.errors[0].message


def test_import_into_one_org_leaves_another_alone(world):
    other = world.outsider.organization
    PersonFactory(organization=other, email="ana@example.com", name="Other Ana")
    report = _import(world.org, HEADER + "Ana,ana@example.com,Checkout,,,\n")
    assert report.created == 1
    assert Person.objects.get(organization=other).name == "Other Ana"


def test_team_get_or_create_is_idempotent_and_case_insensitive(world):
    team, created = team_get_or_create(
        organization=world.org, name="Returns", department="Stores", location="Lyon"
    )
    assert created and team.department.name == "Stores" and team.location.name == "Lyon"
    again, created = team_get_or_create(organization=world.org, name=" returns ")
    assert (again, created) == (team, False)
    assert Team.objects.filter(organization=world.org, name__iexact="returns").count() == 1


def test_team_get_or_create_reuses_existing_department(world):
    existing = TeamFactory(organization=world.org).department
    team, _ = team_get_or_create(
        organization=world.org, name="New", department=existing.name.upper()
    )
    assert team.department == existing


# --- Columns the file leaves out ----------------------------------------------------------------


def test_import_without_a_lead_column_keeps_everyones_lead_status(world):
    lead = PersonFactory(organization=world.org, email="lea@example.com", is_lead=True)
    member = PersonFactory(organization=world.org, email="max@example.com", is_lead=False)
    report = _import(
        world.org,
        "name,email,team\n"
        "Léa,lea@example.com,Front desk\n"
        "Max,max@example.com,Front desk\n"
        "Noor,noor@example.com,Front desk\n",
    )
    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, 2)
    lead.refresh_from_db()
    member.refresh_from_db()
    assert (lead.name, lead.is_lead, member.is_lead) == ("Léa", True, False)
    assert Person.objects.get(email="noor@example.com").is_lead is False


def test_import_with_a_lead_column_still_sets_and_clears_it(world):
    lead = PersonFactory(organization=world.org, email="lea@example.com", is_lead=True)
    other = PersonFactory(organization=world.org, email="ola@example.com", is_lead=True)
    report = _import(
        world.org,
        "name,email,team,lead\nLéa,lea@example.com,Front desk,no\nOla,ola@example.com,Ops\n",
    )
    assert report.ok, report.errors
    lead.refresh_from_db()
    other.refresh_from_db()
    # An empty lead cell (here, a short row) says "no", as the page documents.
    assert (lead.is_lead, other.is_lead) == (False, False)


def test_import_without_department_and_location_leaves_teams_where_they_are(world, seattle):
    department, location = seattle.department, seattle.location
    report = _import(world.org, "name,email,team,lead\nAna,ana@example.com,Seattle Front Desk,\n")
    assert report.ok and report.moves == []
    seattle.refresh_from_db()
    assert (seattle.department, seattle.location) == (department, location)


# --- Files the csv module cannot read -----------------------------------------------------------


def test_a_cell_over_the_csv_field_limit_is_reported_and_nothing_imported(world):
    huge = "x" * 131_073
    report = _import(
        world.org, f"name,email,team\nAna,ana@example.com,Ops\n{huge},ben@example.com,Ops\n"
    )
    assert [e.row for e in report.errors] == [3]
    assert "longer than 131,072 characters" in report.errors[0].message
    assert not Person.objects.filter(organization=world.org).exists()


def test_a_huge_cell_in_the_header_is_reported_once(world):
    report = _import(world.org, "name,email,team," + "x" * 131_073 + "\nAna,ana@example.com,Ops\n")
    assert [(e.row, "longer than" in e.message) for e in report.errors] == [(1, True)]


def test_a_repeated_column_is_refused(world):
    report = _import(world.org, "name,email,team,Team\nAna,ana@example.com,Ops,Sales\n")
    assert [e.row for e in report.errors] == [1]
    assert "team appear more than once" in report.errors[0].message
    assert not Person.objects.filter(organization=world.org).exists()


def test_an_unclosed_quote_is_reported_on_its_row(world):
    report = _import(
        world.org,
        "name,email,team\n"
        "Ana,ana@example.com,Ops\n"
        '"Ben,ben@example.com,Ops\n'
        "Cleo,cleo@example.com,Ops\n",
    )
    assert [e.row for e in report.errors] == [3]
    assert "quote" in report.errors[0].message and "not closed" in report.errors[0].message
    assert "missing" not in report.errors[0].message
    assert not Person.objects.filter(organization=world.org).exists()


def test_a_quoted_cell_with_a_comma_is_still_one_cell(world):
    report = _import(world.org, 'name,email,team\n"Okafor, Ben",ben@example.com,Ops\n')
    assert report.ok, report.errors
    assert Person.objects.get(email="ben@example.com").name == "Okafor, Ben"


def test_a_preview_reports_what_the_import_would_do_and_saves_nothing(world, seattle):
    from surveys.models import AuditLog

    ben = Person.objects.filter(team=seattle).first()
    text = (
        HEADER
        + "Ana,ana@example.com,Laundry,Housekeeping,Portland Pearl,\n"  # new person, new team
        + f"Ben,{ben.email},Laundry,,,\n"  # an existing person moved to another team
        + "Cleo,cleo@example.com,seattle front desk,Housekeeping,,\n"  # moves the team
    )
    before = (Person.objects.count(), Team.objects.count(), Department.objects.count())
    version = type(world.org).objects.get(pk=world.org.pk).results_version
    preview = people_import_csv(
        organization=world.org, file=io.BytesIO(text.encode()), preview=True
    )
    assert preview.ok and preview.preview
    assert preview.headline == (
        "Nothing is imported yet. Importing this file would give: 2 people added, "
        "1 updated (1 to another team), 1 new team."
    )
    assert preview.changes == [
        "1 team would move to another department: Seattle Front Desk → Housekeeping "
        "(was Front Office).",
    ]
    # Nothing changed: no row, no move, no audit entry, no dashboard invalidated.
    assert (Person.objects.count(), Team.objects.count(), Department.objects.count()) == before
    seattle.refresh_from_db()
    assert seattle.department.name == "Front Office"
    ben.refresh_from_db()
    assert ben.team == seattle
    assert not AuditLog.objects.filter(action="people.import").exists()
    assert type(world.org).objects.get(pk=world.org.pk).results_version == version

    # Importing the same file does what the preview said.
    report = _import(world.org, text)
    assert (report.created, report.updated, report.people_moved) == (2, 1, 1)
    assert report.changes == [
        "1 team moved to another department: Seattle Front Desk → Housekeeping (was Front Office).",
    ]
    assert report.headline == "Imported: 2 people added, 1 updated (1 to another team), 1 new team."
