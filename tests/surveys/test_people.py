"""The people page's search and pages, and one person's page: editing, marking as left."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.distribution_selectors import invitees
from surveys.models import AuditLog, Person
from tests.factories import PersonFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db


def person_url(person: Person, name: str = "surveys:person") -> str:
    return reverse(name, kwargs={"pk": person.pk})


def listed(body: str) -> list[str]:
    """The names in the people table, in order."""
    return [
        part.split("</a>")[0].split(">")[-1]
        for part in body.split('<td><a href="/surveys/people/')[1:]
    ]


def heading(body: str) -> str:
    """The counts above the table, without the "Show everyone" link."""
    return body.split('id="people-heading">')[1].split("<")[0].strip()


# --- search and pages -------------------------------------------------------------------------


@pytest.fixture
def crowd(world):
    """Ana and Anatole in Front desk, Bruno in Night shift, Zed in another organisation."""
    ana = PersonFactory(organization=world.org, team=world.team, name="Ana Silva", email="as@x.io")
    PersonFactory(organization=world.org, team=world.team, name="Bruno", email="ana.b@x.io")
    PersonFactory(organization=world.org, team=world.other_team, name="Anatole", email="tole@x.io")
    PersonFactory(organization=world.outsider.organization, name="Ana Zed", email="az@x.io")
    return ana


def test_search_matches_name_or_email_in_any_case(world, login, crowd):
    body = login(world.hr_admin).get(reverse("surveys:people"), {"q": "ANA"}).content.decode()
    # "Ana Silva" and "Anatole" by name, Bruno by email (ana.b@); Ana Zed is another organisation's
    assert listed(body) == ["Ana Silva", "Anatole", "Bruno"]
    assert heading(body) == "3 people, 2 teams"


def test_each_persons_team_shows_its_department_and_location(world, login, crowd):
    body = login(world.hr_admin).get(reverse("surveys:people"), {"q": "ana silva"}).content.decode()
    team = world.team
    assert f"{team.department.name} · {team.location.name}" in body


def test_team_filter_narrows_the_search(world, login, crowd):
    query = {"q": "ana", "team": world.team.pk}
    body = login(world.hr_admin).get(reverse("surveys:people"), query).content.decode()
    assert listed(body) == ["Ana Silva", "Bruno"]
    assert heading(body) == "2 people, 1 team"


def test_another_organisations_team_in_the_filter_is_ignored(world, login, crowd):
    other_team = TeamFactory(organization=world.outsider.organization)
    query = {"team": other_team.pk}
    body = login(world.hr_admin).get(reverse("surveys:people"), query).content.decode()
    assert listed(body) == ["Ana Silva", "Anatole", "Bruno"]


def test_people_come_50_a_page_with_links_keeping_the_search(world, login):
    Person.objects.bulk_create(
        Person(organization=world.org, team=world.team, name=f"P{n:03}", email=f"p{n}@x.io")
        for n in range(120)
    )
    client = login(world.hr_admin)
    first = client.get(reverse("surveys:people"), {"q": "p", "team": world.team.pk})
    body = first.content.decode()
    assert listed(body) == [f"P{n:03}" for n in range(50)]
    assert heading(body) == "120 people, 1 team"
    assert "Page 1 of 3" in body
    assert f"?q=p&amp;team={world.team.pk}&amp;page=2" in body
    last = client.get(reverse("surveys:people"), {"q": "p", "team": world.team.pk, "page": 3})
    assert listed(last.content.decode()) == [f"P{n:03}" for n in range(100, 120)]


def test_a_page_number_past_the_end_shows_the_last_page(world, login, crowd):
    body = login(world.hr_admin).get(reverse("surveys:people"), {"page": 99}).content.decode()
    assert listed(body) == ["Ana Silva", "Anatole", "Bruno"]


# --- editing one person -----------------------------------------------------------------------


def edit(client, person: Person, **changes):
    data = {"name": person.name, "email": person.email, "team": person.team_id or ""}
    return client.post(person_url(person), {**data, **changes})


def test_edit_saves_and_records_before_and_after(world, login, crowd):
    response = edit(login(world.hr_admin), crowd, email="Ana.Silva@X.io", team=world.other_team.pk)
    assert response.status_code == 302
    crowd.refresh_from_db()
    assert (crowd.email, crowd.team) == ("ana.silva@x.io", world.other_team)
    entry = AuditLog.objects.get(action="person.edit")
    assert (entry.user, entry.object_id) == (world.hr_admin.user, str(crowd.pk))
    assert entry.detail == {
        "email": {"from": "as@x.io", "to": "ana.silva@x.io"},
        "team": {"from": "Front desk", "to": "Night shift"},
    }


def test_saving_unchanged_details_records_nothing(world, login, crowd):
    assert edit(login(world.hr_admin), crowd).status_code == 302
    assert not AuditLog.objects.filter(action="person.edit").exists()


def test_an_email_someone_else_has_is_refused_and_nothing_is_saved(world, login, crowd):
    response = edit(login(world.hr_admin), crowd, name="Ana S.", email="TOLE@x.io")
    assert response.status_code == 400
    assert "Someone else in the organisation already has this email address." in (
        response.content.decode()
    )
    crowd.refresh_from_db()
    assert (crowd.name, crowd.email) == ("Ana Silva", "as@x.io")
    assert not AuditLog.objects.filter(action="person.edit").exists()


def test_another_organisations_email_is_free_to_use(world, login, crowd):
    assert edit(login(world.hr_admin), crowd, email="az@x.io").status_code == 302


def test_another_organisations_team_is_refused(world, login, crowd):
    their_team = TeamFactory(organization=world.outsider.organization)
    response = edit(login(world.hr_admin), crowd, name="Changed", team=their_team.pk)
    assert response.status_code == 400
    crowd.refresh_from_db()
    assert (crowd.name, crowd.team) == ("Ana Silva", world.team)


@pytest.mark.parametrize("changes", [{"email": "not-an-email"}, {"name": ""}, {"team": 10**20}])
def test_invalid_details_are_refused(world, login, crowd, changes):
    response = edit(login(world.hr_admin), crowd, **changes)
    assert response.status_code == 400
    crowd.refresh_from_db()
    assert (crowd.name, crowd.email, crowd.team) == ("Ana Silva", "as@x.io", world.team)


def test_another_organisations_person_is_not_found(world, login, crowd):
    theirs = Person.objects.get(name="Ana Zed")
    client = login(world.hr_admin)
    assert client.get(person_url(theirs)).status_code == 404
    assert edit(client, theirs, name="Hacked").status_code == 404
    assert client.post(person_url(theirs, "surveys:person-left")).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_active) == ("Ana Zed", True)


@pytest.mark.parametrize("role", ["cx_manager", "team_lead", "staff"])
def test_person_pages_are_for_hr_admins_only(world, login, role, crowd):
    client = login(world.member(role))
    assert client.get(person_url(crowd)).status_code == 403
    assert edit(client, crowd, name="Changed").status_code == 403
    assert client.post(person_url(crowd, "surveys:person-left")).status_code == 403
    crowd.refresh_from_db()
    assert (crowd.name, crowd.is_active) == ("Ana Silva", True)


# --- marking someone who left -----------------------------------------------------------------


def test_marking_as_left_stops_invitations_and_back_restores_them(world, login, crowd):
    survey = SurveyFactory(organization=world.org)
    client = login(world.hr_admin)
    assert client.post(person_url(crowd, "surveys:person-left")).status_code == 302
    crowd.refresh_from_db()
    assert not crowd.is_active
    assert crowd not in invitees(survey=survey, teams=None)
    assert "Left" in client.get(person_url(crowd)).content.decode()

    assert client.post(person_url(crowd, "surveys:person-back")).status_code == 302
    crowd.refresh_from_db()
    assert crowd.is_active and crowd in invitees(survey=survey, teams=None)
    entries = AuditLog.objects.filter(object_id=str(crowd.pk)).order_by("id")
    assert [(e.action, e.detail) for e in entries] == [
        ("person.left", {"is_active": {"from": True, "to": False}}),
        ("person.back", {"is_active": {"from": False, "to": True}}),
    ]


def test_marking_as_left_twice_records_it_once(world, login, crowd):
    client = login(world.hr_admin)
    client.post(person_url(crowd, "surveys:person-left"))
    client.post(person_url(crowd, "surveys:person-left"))
    assert AuditLog.objects.filter(action="person.left").count() == 1


def test_marking_as_left_takes_post_only(world, login, crowd):
    assert login(world.hr_admin).get(person_url(crowd, "surveys:person-left")).status_code == 405
