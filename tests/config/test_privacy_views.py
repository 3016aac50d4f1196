"""HR admin privacy pages: audit log, retention, person export and erasure."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from config.audit import audit_record
from surveys.models import AuditLog, Person
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
    SurveyFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

COLLEAGUES = ["cx_manager", "team_lead", "staff"]


@pytest.fixture
def person(world):
    return PersonFactory(
        organization=world.org, team=world.team, name="Ana Lima", email="ana@example.com"
    )


def urls(person) -> dict[str, str]:
    return {
        "audit": reverse("surveys:audit"),
        "privacy": reverse("surveys:privacy"),
        "export": reverse("surveys:person-export", args=[person.pk]),
        "erase": reverse("surveys:person-erase", args=[person.pk]),
    }


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["audit", "privacy", "export", "erase"])
def test_hr_admin_opens_every_page(world, login, person, page):
    assert login(world.hr_admin).get(urls(person)[page]).status_code == 200


@pytest.mark.parametrize("role", COLLEAGUES)
@pytest.mark.parametrize("page", ["audit", "privacy", "export", "erase"])
def test_colleagues_are_refused(world, login, person, role, page):
    assert login(world.member(role)).get(urls(person)[page]).status_code == 403


@pytest.mark.parametrize("page", ["export", "erase"])
def test_another_organisations_person_is_not_found(world, login, person, page):
    assert login(world.outsider).get(urls(person)[page]).status_code == 404
    assert (
        login(world.outsider).post(urls(person)["erase"], {"email": person.email}).status_code
        == 404
    )
    assert Person.objects.filter(pk=person.pk).exists()


@pytest.mark.parametrize("page", ["audit", "privacy", "export", "erase"])
def test_anonymous_visitors_are_sent_to_sign_in(client, person, page):
    response = client.get(urls(person)[page])
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("page", "method"),
    [("audit", "post"), ("export", "post"), ("erase", "put"), ("privacy", "delete")],
)
def test_wrong_methods_are_refused(world, login, person, page, method):
    assert getattr(login(world.hr_admin), method)(urls(person)[page]).status_code == 405


# --- Audit log page -------------------------------------------------------------------------


def test_audit_page_lists_own_organisation_entries_and_filters_them(world, login):
    audit_record(organization=world.org, user=world.hr_admin.user, action="export.download")
    audit_record(organization=world.org, user=world.cx_manager.user, action="comments.view")
    audit_record(
        organization=world.outsider.organization, user=world.outsider.user, action="secret.view"
    )
    client = login(world.hr_admin)

    page = client.get(reverse("surveys:audit")).content.decode()
    assert "export.download" in page and "comments.view" in page
    assert "secret.view" not in page and world.outsider.user.username not in page

    by_action = client.get(reverse("surveys:audit"), {"action": "comments.view"}).content.decode()
    assert (
        "<code>comments.view</code>" in by_action
        and "<code>export.download</code>" not in by_action
    )
    by_user = client.get(
        reverse("surveys:audit"), {"user": world.hr_admin.user.pk}
    ).content.decode()
    assert "<code>export.download</code>" in by_user and "<code>comments.view</code>" not in by_user


def test_audit_page_names_what_an_entry_acted_on_for_people(world, login):
    """QA read "surveys.person #3" in the Object column."""
    person = PersonFactory(organization=world.org)
    audit_record(organization=world.org, user=None, action="person.erase", obj=person)
    audit_record(organization=world.org, user=None, action="retention.change", obj=world.org)
    page = login(world.hr_admin).get(reverse("surveys:audit")).content.decode()
    assert f"<td>Person #{person.pk}</td>" in page
    assert f"<td>Organization #{world.org.pk}</td>" in page
    assert "surveys.person" not in page
    entry = AuditLog(object_type="gone.model", object_id="7")
    assert entry.object_label == "gone.model #7" and AuditLog().object_label == ""


def test_audit_page_names_admin_actions_and_shows_what_changed(world, login):
    user = world.hr_admin.user
    survey = SurveyFactory(organization=world.org)
    detail = {"anonymous": {"from": True, "to": False}}
    audit_record(
        organization=world.org, user=user, action="survey.anonymity", obj=survey, detail=detail
    )
    detail = {"teams": "Front desk", "round": 1, "invitations": 12, "resent": 0}
    audit_record(
        organization=world.org, user=user, action="invitations.send", obj=survey, detail=detail
    )
    audit_record(organization=world.org, user=user, action="custom.thing")
    page = login(world.hr_admin).get(reverse("surveys:audit")).content.decode()
    assert "Survey anonymity changed <code>survey.anonymity</code>" in page
    assert "anonymous: yes → no" in page
    assert "Survey sent <code>invitations.send</code>" in page
    assert "invitations: 12; resent: 0; round: 1; teams: Front desk" in page  # by key
    assert "<td><code>custom.thing</code></td>" in page  # no label: shown as stored
    assert '<option value="invitations.send">Survey sent</option>' in page


def test_audit_page_pages_through_many_entries(world, login):
    for _ in range(55):
        audit_record(organization=world.org, user=None, action="retention.purge")
    client = login(world.hr_admin)
    first = client.get(reverse("surveys:audit")).content.decode()
    second = client.get(reverse("surveys:audit"), {"page": 2}).content.decode()
    assert first.count("<code>retention.purge</code>") == 50
    assert second.count("<code>retention.purge</code>") == 5


# --- Retention ------------------------------------------------------------------------------


def test_setting_retention_saves_it_and_audits_the_change(world, login):
    response = login(world.hr_admin).post(reverse("surveys:privacy"), {"retention_months": "18"})
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.retention_months == 18
    entry = AuditLog.objects.get(action="retention.change")
    assert entry.detail == {"from": None, "to": 18} and entry.user == world.hr_admin.user
    # Saving the same period again changes nothing, and records nothing ("from 18 to 18").
    login(world.hr_admin).post(reverse("surveys:privacy"), {"retention_months": "18"})
    assert AuditLog.objects.filter(action="retention.change").count() == 1


def test_clearing_retention_turns_it_off(world, login):
    world.org.retention_months = 6
    world.org.save()
    login(world.hr_admin).post(reverse("surveys:privacy"), {"retention_months": ""})
    world.org.refresh_from_db()
    assert world.org.retention_months is None


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1000"])
def test_bad_retention_values_change_nothing(world, login, value):
    response = login(world.hr_admin).post(reverse("surveys:privacy"), {"retention_months": value})
    assert response.status_code == 400
    world.org.refresh_from_db()
    assert world.org.retention_months is None
    assert not AuditLog.objects.exists()


def test_privacy_page_shows_what_is_due_and_finds_people(world, login, person):
    world.org.retention_months = 1
    world.org.save()
    survey = SurveyFactory(organization=world.org)
    response_with_answers(
        survey=survey,
        team=world.team,
        answers={},
        submitted_at="2020-01-01T00:00Z",
        scored_at="2020-01-01T00:00Z",
    )
    client = login(world.hr_admin)
    page = client.get(reverse("surveys:privacy")).content.decode()
    assert "Due now: <strong>1</strong> response " in page
    found = client.get(reverse("surveys:privacy"), {"q": "ana@"}).content.decode()
    assert reverse("surveys:person-erase", args=[person.pk]) in found
    other = PersonFactory(organization=world.outsider.organization, name="Ana Other")
    assert (
        reverse("surveys:person-erase", args=[other.pk])
        not in client.get(reverse("surveys:privacy"), {"q": "Ana"}).content.decode()
    )


# --- Person export and erasure --------------------------------------------------------------


def test_export_downloads_json_and_is_audited(world, login, person):
    response = login(world.hr_admin).get(reverse("surveys:person-export", args=[person.pk]))
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="person-{person.pk}.json"'
    assert json.loads(response.content)["person"]["email"] == "ana@example.com"
    assert AuditLog.objects.filter(action="person.export", object_id=str(person.pk)).count() == 1


def test_erasure_needs_the_persons_email_typed(world, login, person):
    response = login(world.hr_admin).post(
        reverse("surveys:person-erase", args=[person.pk]), {"email": "someone@example.com"}
    )
    assert response.status_code == 400
    assert b"not the person" in response.content
    assert Person.objects.filter(pk=person.pk).exists()
    assert not AuditLog.objects.exists()


def test_erasure_deletes_the_person_and_says_so(world, login, person):
    person_id = person.pk
    response = login(world.hr_admin).post(
        reverse("surveys:person-erase", args=[person_id]), {"email": "ANA@example.com"}, follow=True
    )
    assert response.redirect_chain == [(reverse("surveys:privacy"), 302)]
    assert b"data was erased" in response.content
    assert not Person.objects.filter(pk=person_id).exists()
    assert AuditLog.objects.get(action="person.erase").user == world.hr_admin.user


@pytest.mark.parametrize(
    ("responses", "invitations", "said"),
    [
        (1, 1, "1 response and 1 invitation deleted."),
        (0, 2, "0 responses and 2 invitations deleted."),
    ],
)
def test_erasure_message_counts_in_singular_or_plural(
    world, login, person, responses, invitations, said
):
    survey = SurveyFactory(organization=world.org)
    for _ in range(responses):
        response_with_answers(survey=survey, team=world.team, answers={}, respondent=person)
    InvitationFactory.create_batch(invitations, survey=survey, person=person)
    page = login(world.hr_admin).post(
        reverse("surveys:person-erase", args=[person.pk]), {"email": "ana@example.com"}, follow=True
    )
    assert f"The person&#x27;s data was erased: {said}" in page.content.decode()


def test_the_erase_page_refuses_yourself_before_asking_for_the_email(world, login):
    me = PersonFactory(organization=world.org, email="me@example.com", user=world.hr_admin.user)
    response = login(world.hr_admin).get(reverse("surveys:person-erase", args=[me.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "You cannot erase your own record; ask another HR admin." in page
    assert 'name="email"' not in page and "Erase permanently" not in page


@pytest.mark.parametrize("role", ["hr_admin", "cx_manager"])
def test_the_erase_page_refuses_an_admin_and_says_to_change_the_role(world, login, role):
    other_hr_admin = MembershipFactory(organization=world.org, role="hr_admin")
    record = PersonFactory(
        organization=world.org,
        name="Kim Park",
        email="kim@example.com",
        user=world.member(role).user,
    )
    client = login(other_hr_admin)
    page = client.get(reverse("surveys:person-erase", args=[record.pk])).content.decode()
    assert "Change their role first, then erase their data." in page
    assert 'name="email"' not in page
    response = client.post(
        reverse("surveys:person-erase", args=[record.pk]), {"email": "kim@example.com"}
    )
    assert response.status_code == 400
    assert b"Change their role first" in response.content
    assert Person.objects.filter(pk=record.pk).exists()
    assert world.member(role).user.is_active
    assert not AuditLog.objects.exists()


def test_the_erase_page_asks_for_the_email_of_a_team_lead(world, login):
    record = PersonFactory(organization=world.org, user=world.team_lead.user)
    page = login(world.hr_admin).get(reverse("surveys:person-erase", args=[record.pk]))
    assert 'name="email"' in page.content.decode()


def test_erasing_yourself_is_refused_with_a_message(world, login):
    me = PersonFactory(organization=world.org, email="me@example.com", user=world.hr_admin.user)
    response = login(world.hr_admin).post(
        reverse("surveys:person-erase", args=[me.pk]), {"email": "me@example.com"}
    )
    assert response.status_code == 400
    assert b"cannot erase your own record" in response.content
    assert Person.objects.filter(pk=me.pk).exists()
