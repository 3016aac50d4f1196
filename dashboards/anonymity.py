"""The anonymity promise, in one place.

A group with fewer respondents than the threshold is never shown. Hiding it alone is not enough
when its parent total is shown (the organisation, a department, a period): the hidden group could
be worked out by subtraction. So siblings are hidden too (complementary suppression) until the
hidden groups together hold at least `threshold` respondents, or every sibling is hidden.

Across views and requests (dashboards.selectors.scores applies them; docs/dashboards.md says
them to users): teams are hidden within their departments; locations add up only the team x
location cells safe to show; an anonymous survey is read by whole months (`whole_months`), a
group's hidden month left out of its longer periods.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Hashable, Mapping

from django.conf import settings

NOT_ENOUGH = "Not enough responses to protect anonymity"
# A group hidden although it holds enough people itself: it would give a smaller one away by
# subtraction (complementary suppression, or the rest of the organisation beside a team's total).
PROTECTS_ANOTHER = "Hidden to protect a smaller group's anonymity"
HIDDEN_TEXTS = (NOT_ENOUGH, PROTECTS_ANOTHER)


def hidden_text(row) -> str:
    """What a hidden row or cell reads: `row` is a score row (dict) or a Cell."""
    complement = row.get("complement") if isinstance(row, dict) else row.complement
    return PROTECTS_ANOTHER if complement else NOT_ENOUGH


WEEKS_NOT_ANONYMOUS = (
    "Anonymous surveys are reported by whole months (a week or a few days can hold one person's "
    "answers): pick month, quarter or all."
)  # the API's words (its period values); the pages and the alert form name their choices:
WEEKS_NOT_ANONYMOUS_PAGE = (
    "This survey is anonymous, so it is reported by whole months: choose Month, Quarter or "
    "Whole range."
)
WEEKS_NOT_ON_OVERVIEW = (
    "Some of the surveys on the overview are anonymous, so it is reported by whole months: "
    "choose Month, Quarter or Whole range."
)
WEEKS_NOT_ANONYMOUS_RULE = (
    "Anonymous surveys are reported by whole months, so their rules are monthly: choose Month "
    "or Quarter."
)
NO_FOLLOW_UP_RULE = (
    "This survey is anonymous: detractors cannot be followed up one by one, so this rule would "
    "never fire. Choose an NPS or CSAT rule for its groups, or a survey that is not anonymous."
)
# What an alert about one response of an anonymous survey shows instead of the response: such
# alerts are no longer raised; this covers those stored before.
WITHHELD_RESPONSE = (
    "This alert was raised on one response of an anonymous survey, before such alerts were "
    "stopped. The response, its answers and its value are not shown: follow the survey's group "
    "figures instead."
)


def threshold_for(organization) -> int:
    """The organisation's threshold, never below 3 (and the setting's default otherwise)."""
    value = (
        getattr(organization, "anonymity_threshold", None) or settings.TANDEM_ANONYMITY_THRESHOLD
    )
    return max(3, int(value))


def suppressed_groups(
    counts: Mapping[Hashable, int], *, threshold: int, at_least_one: bool = False
) -> set[Hashable]:
    """Keys of the sibling groups to hide, given each group's respondent count.

    1. Hide every group with 1..threshold-1 respondents (groups with 0 have nothing to show).
    2. If anything is hidden (or `at_least_one`: the parent itself is hidden, so the visible
       groups must not add up to it), and the hidden groups hold fewer than `threshold`
       respondents in total, also hide the smallest visible group; repeat until they do or
       nothing is left. Then "parent minus the visible groups" always covers at least
       `threshold` people.
    """
    hidden = {key for key, n in counts.items() if 0 < n < threshold}
    if not hidden and not at_least_one:
        return hidden
    visible = sorted(
        ((n, str(key), key) for key, n in counts.items() if key not in hidden and n > 0),
    )
    hidden_total = sum(counts[key] for key in hidden)
    while hidden_total < threshold and visible:
        n, _, key = visible.pop(0)
        hidden.add(key)
        hidden_total += n
    return hidden


def whole_months(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """The range widened to whole months: what an anonymous survey's figures cover.

    Two ranges of days (1-10 July, 1-11 July) differ by one day's answers, which can be one
    person's; two ranges of whole months differ by whole months, and a month too small to show
    is left out of every figure (dashboards.selectors.scores._anonymous_cells)."""
    if start is not None:
        start = start.replace(day=1)
    if end is not None:
        end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return start, end
