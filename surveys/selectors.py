"""Reads for organisation structure and surveys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404

from config import rows
from surveys.models import (
    CustomerLink,
    Invitation,
    Membership,
    Organization,
    Person,
    PulseSchedule,
    Question,
    Survey,
    Team,
)
from surveys.validation import SURVEY_TEXT_LABELS


def membership_for_user(*, user: AbstractBaseUser) -> Membership | None:
    """The user's membership. A user belongs to one organisation in practice; take the first."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_tandem_membership", False)
    if cached is not False:
        return cached
    # Every signed-in page and API call asks: one hand-written query (config.rows).
    membership = rows.one_with(
        Membership, ("organization", "team"), "x.user_id = %s ORDER BY x.id", [user.pk]
    )
    user._tandem_membership = membership
    return membership


def surveys_for_org(*, organization_id: int) -> QuerySet[Survey]:
    return Survey.objects.filter(organization_id=organization_id)


def survey_of_organization(*, membership: Membership, pk: int) -> Survey:
    """Survey `pk` when it belongs to the member's organisation, else 404 (never 403: ids of
    another organisation's surveys are not confirmed). Role checks are the caller's: authoring,
    results and the link view each have their own."""
    # Every survey page and API call starts here: one hand-written query (config.rows).
    survey = rows.in_organization(Survey, pk, membership.organization_id)
    if survey is None:
        raise Http404("No survey matches the given query.")
    return survey


def person_of_organization(*, membership: Membership, pk: int) -> Person:
    """Person `pk` (with team and login) when they belong to the member's organisation, else
    404. Role checks are the caller's (the people and privacy pages are HR admins')."""
    person = (
        Person.objects.select_related("team", "user")
        .filter(pk=pk, organization_id=membership.organization_id)
        .first()
    )
    if person is None:
        raise Http404("No person matches the given query.")
    return person


def survey_close_reach(*, survey: Survey) -> dict:
    """What closing the survey stops, for the page that asks to confirm it: its active customer
    links (and their printed QR codes), its unanswered invitations, an active pulse schedule."""
    return {
        "active_links": CustomerLink.objects.filter(survey=survey, active=True).count(),
        # Open as the answer page judges it: a round still open, or no round.
        "pending_invitations": Invitation.objects.filter(survey=survey, used_at__isnull=True)
        .filter(Q(cycle__isnull=True) | Q(cycle__closed=False))
        .count(),
        "active_pulse": PulseSchedule.objects.filter(survey=survey, active=True).exists(),
    }


def survey_missing_translations(*, survey: Survey) -> list[tuple[str, list[str]]]:
    """For each of the survey's other languages, the texts it has no translation of:
    [("fr", ["introduction", "question 2", "question 3's choices"])], languages with nothing
    missing left out. A respondent reading that language would see those texts untranslated."""
    questions = list(survey.questions.order_by("order", "id"))
    missing = []
    for language in survey.languages[1:]:
        texts = (survey.translations or {}).get(language) or {}
        gaps = [
            label
            for name, label in SURVEY_TEXT_LABELS.items()
            if getattr(survey, name).strip() and not str(texts.get(name, "")).strip()
        ]
        for position, question in enumerate(questions, start=1):
            gaps.extend(_question_gaps(question, language, position))
        if gaps:
            missing.append((language, gaps))
    return missing


def _question_gaps(question: Question, language: str, position: int) -> list[str]:
    texts = (question.translations or {}).get(language) or {}
    gaps = []
    if not str(texts.get("text", "")).strip():
        gaps.append(f"question {position}")
    if question.help_text.strip() and not str(texts.get("help_text", "")).strip():
        gaps.append(f"question {position}'s help text")
    if question.choices and not texts.get("choices"):
        gaps.append(f"question {position}'s choices")
    return gaps


def people_search(
    *, organization: Organization, search: str = "", team: Team | None = None
) -> QuerySet[Person]:
    """The organisation's people whose name or email holds `search` (any case), of `team` when
    given, by name then email."""
    people = Person.objects.filter(organization=organization).select_related(
        "team__department", "team__location"
    )
    if search:
        people = people.filter(Q(name__icontains=search) | Q(email__icontains=search))
    if team is not None:
        people = people.filter(team=team)
    return people.order_by("name", "email", "pk")
