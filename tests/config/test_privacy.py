"""Privacy operations: retention purge keeps every figure, erasure and export of one person."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from dashboards.models import QuestionRollup, ResponseRollup
from dashboards.scoring import bucket_for, bucket_recompute, response_score, scores_rebuild
from dashboards.selectors.scores import survey_scores
from responses.models import Answer, Response
from surveys.models import (
    AuditLog,
    Invitation,
    InvitationToken,
    Membership,
    Organization,
    Person,
    SurveyKind,
)
from surveys.privacy import (
    person_erase,
    person_erase_refusal,
    person_export,
    retention_cutoff,
    retention_purge,
    retention_purge_all,
)
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    UserFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def survey(world):
    world.org.anonymity_threshold = 3
    world.org.save()
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=False)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.comment = QuestionFactory(survey=survey, type="text", order=2, required=False)
    return survey


def answer(survey, team, value: int, when: dt.datetime, *, comment="", scored=True, **fields):
    answers = {survey.nps: value}
    if comment:
        answers[survey.comment] = comment
    response = response_with_answers(
        survey=survey, team=team, answers=answers, submitted_at=when, **fields
    )
    if scored:
        response_score(response_id=response.pk)
    return response


def retain(organization, months: int) -> None:
    # update(), not save(): a stale instance's save() would write back an old purged_before.
    Organization.objects.filter(pk=organization.pk).update(retention_months=months)
    organization.refresh_from_db()


def rollup_rows() -> list[tuple]:
    return sorted(
        [
            *QuestionRollup.objects.values_list("question_id", "team_id", "day", "n", "total"),
            *ResponseRollup.objects.values_list("survey_id", "team_id", "day", "responses"),
        ],
        key=repr,
    )


# --- Retention ------------------------------------------------------------------------------


def test_retention_is_off_by_default(world, survey):
    answer(survey, world.team, 10, at(2020, 1, 1), comment="old news")
    assert retention_cutoff(organization=world.org, now=NOW) is None
    assert retention_purge(organization=world.org, now=NOW)["responses"] == 0
    assert Response.objects.count() == 1


def test_cutoff_is_the_start_of_the_day_n_months_ago(world):
    world.org.retention_months = 6
    assert retention_cutoff(organization=world.org, now=NOW) == at(2025, 12, 15)
    world.org.retention_months = 4  # 2026-02 has no 31st: clamp to its last day
    assert retention_cutoff(organization=world.org, now=at(2026, 6, 30, 23, 59)) == at(2026, 2, 28)


def test_purge_deletes_old_responses_and_their_comments_but_keeps_the_figures(world, survey):
    old = [
        answer(survey, world.team, 10, at(2025, 11, 1, 9), comment="Great manager"),
        answer(survey, world.team, 9, at(2025, 12, 14, 23, 59)),
        answer(survey, world.other_team, 3, at(2025, 12, 1), comment="Too much overtime"),
    ]
    kept = [
        answer(survey, world.team, 6, at(2025, 12, 15, 0, 0)),
        answer(survey, world.other_team, 10, at(2026, 6, 1)),
    ]
    before = survey_scores(survey=survey)
    # By hand: 5 answers, promoters 10, 9, 10 and detractors 3, 6 -> (3 - 2) / 5 = +20.
    nps = before["results"][0]["questions"][0]
    assert (nps["n"], nps["promoters"], nps["detractors"], nps["score"]) == (5, 3, 2, 20.0)
    rollups = rollup_rows()
    retain(world.org, 6)

    result = retention_purge(organization=world.org, now=NOW)

    assert result == {"responses": 3, "answers": 5, "cutoff": at(2025, 12, 15)}
    assert set(Response.objects.values_list("id", flat=True)) == {r.pk for r in kept}
    assert not Answer.objects.filter(response_id__in=[r.pk for r in old]).exists()
    assert not Answer.objects.exclude(value_text="").exists()
    assert survey_scores(survey=survey) == before
    assert rollup_rows() == rollups
    world.org.refresh_from_db()
    assert world.org.purged_before == at(2025, 12, 15)
    entry = AuditLog.objects.get(action="retention.purge")
    assert (entry.organization, entry.user, entry.detail["responses"]) == (world.org, None, 3)


def test_rebuild_and_rescoring_after_a_purge_keep_the_purged_days_figures(world, survey):
    answer(survey, world.team, 10, at(2025, 11, 1, 9))
    answer(survey, world.team, 2, at(2025, 11, 1, 10))
    recent = answer(survey, world.team, 9, at(2026, 6, 1))
    before = survey_scores(survey=survey)
    rollups = rollup_rows()
    retain(world.org, 6)
    retention_purge(organization=world.org, now=NOW)

    scores_rebuild(survey_id=survey.pk)
    response_score(response_id=recent.pk)  # a re-delivered task for a kept day
    bucket_recompute(
        bucket_for(survey_id=survey.pk, team_id=world.team.pk, submitted_at=at(2025, 11, 1))
    )

    assert survey_scores(survey=survey) == before
    assert rollup_rows() == rollups


def test_an_unscored_response_holds_back_its_whole_day(world, survey):
    answer(survey, world.team, 10, at(2025, 10, 30))
    same_day = answer(survey, world.team, 9, at(2025, 11, 20, 8))
    waiting = answer(survey, world.team, 2, at(2025, 11, 20, 17), scored=False)
    retain(world.org, 6)

    result = retention_purge(organization=world.org, now=NOW)

    assert result["cutoff"] == at(2025, 11, 20)
    assert result["responses"] == 1
    assert set(Response.objects.values_list("id", flat=True)) == {same_day.pk, waiting.pk}


def test_purge_is_idempotent_and_its_watermark_never_moves_back(world, survey):
    answer(survey, world.team, 10, at(2025, 11, 1))
    retain(world.org, 6)
    assert retention_purge(organization=world.org, now=NOW)["responses"] == 1
    assert retention_purge(organization=world.org, now=NOW)["responses"] == 0
    retain(world.org, 12)
    retention_purge(organization=world.org, now=NOW)
    world.org.refresh_from_db()
    assert world.org.purged_before == at(2025, 12, 15)
    assert AuditLog.objects.filter(action="retention.purge").count() == 1


def test_purge_all_leaves_organisations_without_retention_alone(world, survey):
    answer(survey, world.team, 10, at(2025, 1, 1))
    other = SurveyFactory(organization=world.outsider.organization)
    response_with_answers(survey=other, answers={}, submitted_at=at(2025, 1, 1), scored_at=NOW)
    retain(world.org, 1)
    results = retention_purge_all(now=NOW)
    assert set(results) == {world.org.pk}
    assert list(Response.objects.values_list("survey_id", flat=True)) == [other.pk]


def test_retention_task_is_registered_and_scheduled_daily(settings):
    import surveys.tasks  # noqa: F401 - what Celery's autodiscovery imports
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["retention-purge"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].remaining_estimate(NOW) <= dt.timedelta(days=1)


def test_retention_task_runs_the_purge(world, survey):
    from surveys.tasks_privacy import retention_purge as task

    answer(survey, world.team, 10, at(2020, 1, 1))
    retain(world.org, 12)
    task.delay()
    assert not Response.objects.exists()


# --- Erasure --------------------------------------------------------------------------------


@pytest.fixture
def subject(world):
    account = UserFactory(username="sam@example.com")
    Membership.objects.create(user=account, organization=world.org, role="staff", team=world.team)
    Token.objects.create(user=account)
    return PersonFactory(
        organization=world.org,
        team=world.team,
        name="Sam Doe",
        email="sam@example.com",
        user=account,
    )


def test_erasure_deletes_the_persons_responses_and_recomputes_the_figures(world, survey, subject):
    day = at(2026, 5, 4, 10)
    answer(survey, world.team, 0, day, comment="I am unhappy", respondent=subject)
    for value in (10, 9, 10):
        answer(survey, world.team, value, day, respondent=PersonFactory(organization=world.org))
    anonymous = SurveyFactory(organization=world.org, anonymous=True)
    untouched = response_with_answers(survey=anonymous, team=world.team, answers={})
    InvitationFactory(survey=survey, person=subject)
    InvitationFactory(survey=anonymous, person=subject, used_at=day)
    cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    served = response_with_answers(survey=cx, team=world.team, answers={}, agent=subject)
    nps = survey_scores(survey=survey)["results"][0]["questions"][0]
    # By hand: 0, 10, 9, 10 -> promoters 3, detractors 1 of 4 = +50.
    assert (nps["n"], nps["score"]) == (4, 50.0)

    summary = person_erase(person=subject, user=world.hr_admin.user)

    assert summary == {
        "responses": 1,
        "answers": 2,
        "invitations": 2,
        "served_responses_deidentified": 1,
        "buckets_recomputed": 1,
        "account_deactivated": True,
    }
    nps = survey_scores(survey=survey)["results"][0]["questions"][0]
    assert (nps["n"], nps["promoters"], nps["detractors"], nps["score"]) == (3, 3, 0, 100.0)
    assert ResponseRollup.objects.get(survey=survey).responses == 3
    assert not Person.objects.filter(pk=subject.pk).exists()
    assert not Invitation.objects.filter(person_id=subject.pk).exists()
    assert Response.objects.filter(pk=untouched.pk).exists()
    served.refresh_from_db()
    assert served.agent is None
    assert not Answer.objects.filter(value_text="I am unhappy").exists()


def test_erasure_deletes_every_link_the_person_was_sent_and_counts_invitations(
    world, survey, subject
):
    reminded = InvitationFactory(survey=survey, person=subject, reminder_count=2)
    for n in range(2):  # the links of the invitation and of the first reminder
        InvitationToken.objects.create(invitation=reminded, token_hash=f"{n:064x}")
    other = InvitationFactory(survey=survey)
    InvitationToken.objects.create(invitation=other, token_hash="f" * 64)

    summary = person_erase(person=subject, user=world.hr_admin.user)

    assert summary["invitations"] == 1
    assert list(InvitationToken.objects.values_list("invitation_id", flat=True)) == [other.pk]


def test_export_shows_no_link_of_the_person(world, survey, subject):
    reminded = InvitationFactory(survey=survey, person=subject, reminder_count=1)
    InvitationToken.objects.create(invitation=reminded, token_hash="e" * 64)
    text = json.dumps(person_export(person=subject, user=world.hr_admin.user))
    assert reminded.token_hash not in text and "e" * 64 not in text
    assert '"reminder_count": 1' in text


def test_erasure_scrubs_and_deactivates_the_sign_in_account(world, survey, subject):
    account = subject.user
    person_erase(person=subject, user=world.hr_admin.user)
    account.refresh_from_db()
    assert account.username == f"erased-{account.pk}"
    assert (account.email, account.is_active, account.has_usable_password()) == ("", False, False)
    assert not Membership.objects.filter(user=account).exists()
    assert not Token.objects.filter(user=account).exists()


def test_erasure_is_audited_without_naming_the_person(world, survey, subject):
    subject_id = subject.pk
    person_erase(person=subject, user=world.hr_admin.user)
    entry = AuditLog.objects.get(action="person.erase")
    assert entry.user == world.hr_admin.user
    assert entry.actor == world.hr_admin.user.username
    assert (entry.organization, entry.object_type, entry.object_id) == (
        world.org,
        "surveys.person",
        str(subject_id),
    )
    assert entry.created_at is not None
    text = json.dumps(entry.detail)
    assert "sam" not in text.lower() and "Sam Doe" not in text


def test_nobody_erases_themselves(world, survey):
    me = PersonFactory(organization=world.org, user=world.hr_admin.user)
    with pytest.raises(ValidationError):
        person_erase(person=me, user=world.hr_admin.user)
    assert Person.objects.filter(pk=me.pk).exists()


@pytest.mark.parametrize(
    ("role", "label"), [("hr_admin", "HR admin"), ("cx_manager", "CX manager")]
)
def test_an_admin_is_not_erased_until_their_role_changes(world, survey, role, label):
    admin = world.member(role)
    record = PersonFactory(organization=world.org, name="Kim Park", user=admin.user)
    another_hr_admin = MembershipFactory(organization=world.org, role="hr_admin").user
    with pytest.raises(ValidationError) as refused:
        person_erase(person=record, user=another_hr_admin)
    assert refused.value.messages == [
        f"Kim Park has the {label} role in this organisation, and erasing their data would "
        "deactivate their sign-in account. Change their role first, then erase their data."
    ]
    admin.user.refresh_from_db()
    assert Person.objects.filter(pk=record.pk).exists() and admin.user.is_active
    assert Membership.objects.filter(pk=admin.pk).exists()
    assert not AuditLog.objects.exists()
    # Their role changed (to staff), the erasure goes ahead.
    admin.role = "staff"
    admin.save()
    person_erase(person=record, user=another_hr_admin)
    assert not Person.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("role", ["team_lead", "staff"])
def test_people_who_sign_in_with_another_role_are_erased(world, survey, role):
    record = PersonFactory(organization=world.org, user=world.member(role).user)
    assert person_erase(person=record, user=world.hr_admin.user)["account_deactivated"]


def test_erase_refusal_says_why_or_nothing(world):
    hr_admin = world.hr_admin.user
    nobody = PersonFactory(organization=world.org)  # no sign-in account
    me = PersonFactory(organization=world.org, user=hr_admin)
    manager = PersonFactory(organization=world.org, name="Kim Park", user=world.cx_manager.user)
    assert person_erase_refusal(person=nobody, user=hr_admin) is None
    assert "your own record" in person_erase_refusal(person=me, user=hr_admin)
    assert "CX manager role" in person_erase_refusal(person=manager, user=hr_admin)


# --- Export ---------------------------------------------------------------------------------


def test_export_gives_no_answer_time_for_an_anonymous_surveys_invitation(world, subject):
    """Its invitation records that it was used, not when (used_at is its created_at): the
    export says it was answered, and gives no time rather than a false one."""
    anonymous = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    invitation = InvitationFactory(survey=anonymous, person=subject, sent_at=at(2026, 5, 1))
    invitation.used_at = invitation.created_at
    invitation.save()
    [row] = person_export(person=subject, user=world.hr_admin.user)["invitations"]
    assert (row["answered"], row["answered_at"]) == (True, None)


def test_export_holds_everything_stored_about_the_person(world, survey, subject):
    with time_machine.travel(NOW, tick=False):
        answer(survey, world.team, 7, at(2026, 5, 4, 10), comment="Fine", respondent=subject)
        InvitationFactory(survey=survey, person=subject, sent_at=at(2026, 5, 1), used_at=NOW)
        cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX, title="Counter")
        for _ in range(2):
            response_with_answers(survey=cx, team=world.team, answers={}, agent=subject)
        data = person_export(person=subject, user=world.hr_admin.user)

    json.dumps(data)  # JSON-ready as it is
    assert data["person"]["email"] == "sam@example.com"
    assert data["person"]["team"] == world.team.name
    assert data["account"]["username"] == "sam@example.com"
    assert data["account"]["roles"] == [{"organization": world.org.name, "role": "staff"}]
    assert data["invitations"] == [
        {
            "survey": survey.title,
            "survey_id": survey.pk,
            "cycle": None,
            "team": world.team.name,
            "sent_at": "2026-05-01T00:00:00+00:00",
            "reminder_count": 0,
            "answered": True,
            "answered_at": "2026-06-15T12:00:00+00:00",
        }
    ]
    [response] = data["responses"]
    assert [a["value"] for a in response["answers"]] == [7, "Fine"]
    assert data["served_responses"] == [
        {"survey_id": cx.pk, "survey__title": "Counter", "count": 2}
    ]
    entry = AuditLog.objects.get(action="person.export")
    assert (entry.user, entry.object_id) == (world.hr_admin.user, str(subject.pk))
