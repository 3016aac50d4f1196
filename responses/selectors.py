"""Reads for the answer pages and the submission path: which invitation or customer link a URL
points at, and a survey's questions and rounds (cached per process, per survey revision)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.db.models import Q, Subquery

from config import rows
from surveys.distribution import customer_link_id
from surveys.models import (
    CustomerLink,
    Cycle,
    Invitation,
    InvitationToken,
    Question,
    Survey,
    token_hash,
)


def invitation_for_token(*, token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    hashed = token_hash(token)
    # The latest email's token, or one a reminder replaced. The earlier one is a scalar
    # subquery (run once), so the OR is two unique-index probes, not a join over every row.
    earlier = InvitationToken.objects.filter(token_hash=hashed).values("invitation_id")[:1]
    return (
        Invitation.objects.select_related("survey", "cycle", "person", "team__location")
        .filter(Q(token_hash=hashed) | Q(pk=Subquery(earlier)))
        .first()
    )


def invitation_for_user(*, user, invitation_id: int) -> Invitation | None:
    """One of this user's own invitations (through their person record), open or not: the
    answer page says when it is used or closed. Anyone else's is None, as an unknown id."""
    return (
        Invitation.objects.select_related("survey", "cycle", "person", "team__location")
        .filter(pk=invitation_id, person__user=user)
        .first()
    )


def customer_link_for_signed(*, signed: str) -> CustomerLink | None:
    link_id = customer_link_id(signed)
    if link_id is None or not rows.valid_id(link_id):
        return None
    # Every visit and submission of a customer link starts here: written by hand (config.rows),
    # as building this five-model queryset took longer than the query.
    return rows.one_with(
        CustomerLink, ("survey", "team", "location", "agent"), "x.id = %s", [link_id]
    )


# --- A survey's questions and rounds, cached per process ----------------------------------------


class SurveyRevisionCache:
    """Values computed from one revision of a survey, kept per process; past `size` entries the
    least recently used is dropped. Shared by every request of the process: read the values,
    never change them.

    The revision (surveys.signals) changes with every write to the survey's questions or
    rounds, and the survey row is read afresh by each request, so a process never serves
    another revision's value. The creation time is in the key too: SQLite (the embedded
    default) gives a deleted survey's id to the next one, which starts again at revision 0.
    """

    def __init__(self, size: int = 512):
        self._size = size
        self._values: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, survey: Survey, compute: Callable[[], object], *extra) -> object:
        """The value for this revision of `survey` (and `extra`, more of the key), computing it
        with `compute()` the first time."""
        key = (survey.pk, survey.created_at, survey.revision, *extra)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_parts = SurveyRevisionCache()


def survey_questions(*, survey: Survey) -> list[Question]:
    """The survey's questions in order. Shared by every request of this process: read them,
    never change them."""
    return _survey_parts(survey)[0]


def survey_cycle_id_at(*, survey: Survey, moment: dt.datetime) -> int | None:
    """The round running at `moment`: the latest one opened at or before it."""
    for cycle_id, opens_at in _survey_parts(survey)[1]:
        if opens_at <= moment:
            return cycle_id
    return None


def survey_cache_clear() -> None:
    _parts.clear()


def _survey_parts(survey: Survey) -> tuple[list[Question], list[tuple]]:
    """Questions and (round id, opened at) newest round first, read once per survey revision."""
    return _parts.get(
        survey,
        lambda: (
            list(survey.questions.all()),
            list(
                Cycle.objects.filter(survey_id=survey.pk)
                .order_by("-number")
                .values_list("id", "opens_at")
            ),
        ),
    )
