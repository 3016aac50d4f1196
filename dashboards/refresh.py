"""Kept dashboards computed again by the worker after scored batches, before anyone asks.

A kept page (dashboards.results_cache) is served until its organisation's results move on, and
every scored batch of its kind moves them on: the first view after a batch used to compute the
page (100–300 ms at a million answers). So the pages members viewed in the last hour are noted
(`results_cache.viewed_note`) and the worker computes them again after a scored batch, the most
recently viewed first, at most TANDEM_RESULTS_REFRESH_PAGES of them: the next view finds its
page kept. Scores API answers too (the same for every member allowed to ask them).

- `refresh_soon`: after a scoring task marked responses, `results_refresh` is queued for the
  organisation unless a refresh began there in the last TANDEM_RESULTS_REFRESH_SECONDS;
- `refresh_sweep` (beat, as often): organisations whose results moved on since their last
  refresh began (batches scored in between, rebuilds, every other change) are refreshed;
- `pages_refresh`: each noted page is built as its member's request would be, with the
  member's membership as it is now (a member who left or lost the role is skipped), the page's
  access check, its filters and anonymity rules, in the member's language; a page already kept
  (a view computed it first) is left as it is.

Nothing is computed ahead with eager Celery (the embedded default): a submission there would
wait for the pages.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from dashboards import results_cache
from surveys.models import RESULTS_VERSIONS, Organization, Survey
from surveys.selectors import membership_for_user

logger = logging.getLogger(__name__)


def _flag(organization_id: int) -> str:
    return f"results:refreshing:{organization_id}"


def _began(organization_id: int) -> str:
    return f"results:refreshed:{organization_id}"


def enabled() -> bool:
    return settings.TANDEM_RESULTS_CACHE_SECONDS > 0 and results_cache.ahead()


def refresh_soon(*, survey_id: int) -> bool:
    """After a scored batch of the survey: queue its organisation's refresh, unless one began in
    the last TANDEM_RESULTS_REFRESH_SECONDS (the sweep catches up) or nobody viewed a page
    there in the last hour. Returns whether one was queued; a broker or cache outage is logged
    (the pages are computed when viewed, as without this)."""
    if not enabled():
        return False
    organization_id = Survey.objects.filter(pk=survey_id).values_list("organization_id", flat=True)
    organization_id = organization_id.first()
    if organization_id is None or not results_cache.viewed_pages(organization_id):
        return False
    from dashboards.tasks import results_refresh  # the tasks module imports this one

    try:
        if not cache.add(_flag(organization_id), 1, settings.TANDEM_RESULTS_REFRESH_SECONDS):
            return False
        results_refresh.delay(organization_id)
    except Exception:  # noqa: BLE001 - scoring is done; a refresh is a convenience
        logger.warning("Could not queue the dashboards' refresh.", exc_info=True)
        return False
    return True


def refresh_sweep() -> list[int]:
    """Refresh the organisations with pages viewed in the last hour whose results moved on
    since their last refresh began; returns their ids."""
    if not enabled():
        return []
    rows = Organization.objects.order_by("pk").values_list("pk", *RESULTS_VERSIONS)
    versions = {row[0]: list(row[1:]) for row in rows}
    try:
        began = cache.get_many([_began(pk) for pk in versions])
    except Exception:  # noqa: BLE001
        logger.warning("Could not read the dashboards' refreshes.", exc_info=True)
        return []
    refreshed = []
    for pk, now in versions.items():
        if began.get(_began(pk)) != now and results_cache.viewed_pages(pk):
            pages_refresh(organization_id=pk)
            refreshed.append(pk)
    return refreshed


def pages_refresh(*, organization_id: int) -> dict[str, int]:
    """Compute the organisation's noted pages that are not kept, and keep them. Returns how
    many were computed, found kept, and skipped (the member lost access; the page is a 400)."""
    done = {"computed": 0, "kept": 0, "skipped": 0}
    if settings.TANDEM_RESULTS_CACHE_SECONDS <= 0:
        return done
    versions = (
        Organization.objects.filter(pk=organization_id).values_list(*RESULTS_VERSIONS).first()
    )
    if versions is None:
        return done
    try:
        cache.set(_flag(organization_id), 1, settings.TANDEM_RESULTS_REFRESH_SECONDS)
        cache.set(_began(organization_id), list(versions), results_cache.VIEWED_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Could not note the dashboards' refresh.", exc_info=True)
    noted = results_cache.viewed_pages(organization_id)[: settings.TANDEM_RESULTS_REFRESH_PAGES]
    for page, user_id in noted:
        with translation.override(page[-1]):  # each page's language, last in its note
            if page[0] == "scores":
                done[_scores_refresh(page, organization_id=organization_id)] += 1
            else:
                done[_page_refresh(page, user_id=user_id, organization_id=organization_id)] += 1
    return done


def _page_refresh(page: tuple, *, user_id: int, organization_id: int) -> str:
    """A dashboard page (name, role, team, query string, language) as its member's request."""
    from dashboards import views

    name, _role, _team, query, _language = page
    request = _request(name=name, query=query, user_id=user_id, organization_id=organization_id)
    if request is None:
        return "skipped"
    try:
        views.PAGES[name].check(request)
    except (PermissionDenied, Http404):
        return "skipped"
    key = views.page_key(request, name)
    if results_cache.kept(key, up_to_date=True) is not None:
        return "kept"
    _, status = views.page_keep(request, name, key)
    return "computed" if status == 200 else "skipped"


def _scores_refresh(page: tuple, *, organization_id: int) -> str:
    """A scores API answer ("scores", survey id, team id, validated query, language): the
    same for every member allowed to ask it (the API checks access before its lookup)."""
    from dashboards.api import scores_keep, scores_key

    _scores, survey_id, team_id, asked, _language = page
    survey = (
        Survey.objects.select_related("organization")
        .filter(pk=survey_id, organization_id=organization_id)
        .first()
    )
    if survey is None:
        return "skipped"
    key = scores_key(survey, team_id, asked)
    if results_cache.kept(key, up_to_date=True) is not None:
        return "kept"
    scores_keep(survey, team_id, asked, key)
    return "computed"


def _request(*, name: str, query: str, user_id: int, organization_id: int):
    """The GET request the member would make for the page now, or None when they no longer may
    see it (gone, inactive, in another organisation, another role)."""
    from dashboards.views import DASHBOARD_ROLES  # views import results_cache; this is the worker's

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    membership = membership_for_user(user=user) if user is not None else None
    if (
        membership is None
        or membership.organization_id != organization_id
        or membership.role not in DASHBOARD_ROLES.get(name, ())
    ):
        return None
    path = reverse(f"dashboards:{name}")
    # A plain GET request object, as Django builds one (the page reads its query string, user
    # and membership; nothing is sent anywhere).
    request = RequestFactory().get(f"{path}?{query}" if query else path)
    request.user = user
    request.membership = membership
    return request
