"""Who reaches which URL: every pattern of the project, for every role, in one table.

URL_ACCESS lists each URL name (pages and API) with the request to make and the status expected
for each role of ROLES: our organisation's HR admin, CX manager, team lead and staff member, an
anonymous visitor, and the HR admin of another organisation (outsider). A URL naming an object is
asked for twice: with our organisation's object ("ours") and with the other organisation's
("theirs"), where our people get 404. A new URL without a row here fails
test_every_url_name_is_in_the_table; the Django admin has its own test at the end.

Rules the table encodes (surveys/permissions.py):
- HR admins author EX surveys and see EX results; CX managers author CX surveys, see CX results
  and own CX alerts; team leads see their own team's results and alerts; staff answer.
- Another organisation's object is a 404 (never a 403 that would confirm it exists), once the
  role may use the page at all.
- Anonymous: pages redirect to the sign-in page; the API answers 401 with
  `WWW-Authenticate: Token` (token authentication comes first, so API clients are told how to
  authenticate). Answer pages, health checks, sign-in and the API schema are public.

Besides the status, every response is searched for what the role must never see: the other
organisation's marker; the other kind's comments and alerts (owners); the other team's (team
lead); any comment or alert (staff, visitors). Rows labelled "their-..." put the other
organisation's ids inside our requests (query, form or JSON body): a 404 or a form error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from dashboards.scoring import survey_rebuild
from surveys.models import Invitation, Role, token_hash
from tests.config.access_world import (
    OURS,
    THEIRS,
    AccessWorld,
    Side,
    access_world_build,
    secret,
)
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

ROLES = ("hr_admin", "cx_manager", "team_lead", "staff", "anonymous", "outsider")
L = "login"  # a redirect to the sign-in page
Statuses = tuple[int | str, int | str, int | str, int | str, int | str, int | str]
PUBLIC_ANSWER_PAGES = {"responses:invitation", "responses:link", "responses:thanks"}


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    method: str
    side: str  # "ours" or "theirs": whose objects the kwargs and query point at
    kwargs: Callable[[Side], dict] | None
    query: Callable[[Side], dict] | None
    expect: dict[str, int | str]
    data: Callable[[Side], dict] | None = None  # the POST body (else empty)

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def url(
    name: str,
    ours: Statuses,
    *,
    post: bool = False,
    kw: Callable[[Side], dict] | None = None,
    q: Callable[[Side], dict] | None = None,
    theirs: Statuses | None = None,
    label: str = "",
    data: Callable[[Side], dict] | None = None,
) -> list[Check]:
    """One row: `ours` with our organisation's objects, `theirs` with the other one's."""
    method = "post" if post or data else "get"
    expect = dict(zip(ROLES, ours, strict=True))
    checks = [Check(name, label, method, "ours", kw, q, expect, data)]
    if theirs is not None:
        their_label = f"{label},theirs" if label else "theirs"
        expect = dict(zip(ROLES, theirs, strict=True))
        checks.append(Check(name, their_label, method, "theirs", kw, q, expect, data))
    return checks


def colleague_invitation(s: Side) -> dict:
    return {"pk": Invitation.objects.get(token_hash=token_hash(s.token)).pk}


def ex(s: Side) -> dict:
    return {"pk": s.ex.pk}


def cx(s: Side) -> dict:
    return {"pk": s.cx.pk}


def ex_question(s: Side) -> dict:
    return {"pk": s.ex.pk, "question_pk": s.questions["ex"].pk}


def cx_link(s: Side) -> dict:
    return {"pk": s.cx.pk, "link_pk": s.link.pk}


def both_surveys(s: Side) -> dict:
    return {"ex_survey": s.ex.pk, "cx_survey": s.cx.pk}


def pk_of(attribute: str, kind: str) -> Callable[[Side], dict]:
    return lambda s: {"pk": getattr(s, attribute)[kind].pk}


def their(s: Side) -> Side:
    """The other organisation, for requests mixing its ids into ours ("their-..." rows)."""
    return s.counterpart


def cx_rule(*, survey, team, owner) -> dict:
    """A complete alert rule form: CSAT below 50 % per month, for one team."""
    return {
        "name": "Low CSAT",
        "survey": survey.pk,
        "metric": "csat",
        "condition": "below",
        "threshold": "50",
        "period": "month",
        "scope": "team",
        "team": team.pk,
        "owners": [owner.user.pk],
        "active": "on",
    }


HUGE = 2**63  # past PostgreSQL's bigint: must be "not found", not a database error

# Roles, in order:  hr_admin cx_manager team_lead staff anonymous outsider
ALL_200 = (200, 200, 200, 200, 200, 200)
HR_EX = dict(theirs=(404, 404, 403, 403, L, 200))  # HR admin pages on an EX object
HR_EX_POST = dict(theirs=(404, 404, 403, 403, L, 302))  # HR admin actions on an EX object
CX_CX = dict(theirs=(404, 404, 403, 403, L, 403))  # CX manager pages on a CX object
API_HR_EX = dict(theirs=(404, 404, 403, 403, 401, 200))
API_CX_CX = dict(theirs=(404, 404, 403, 403, 401, 403))

URL_ACCESS: list[Check] = [
    # --- Project -------------------------------------------------------------------------------
    *url("home", (302, 302, 302, 302, L, 302)),
    *url("healthz", ALL_200),
    *url("readyz", ALL_200),
    *url("login", (302, 302, 302, 302, 200, 302)),
    *url("logout", (302, 302, 302, 302, 302, 302), post=True),
    *url("profile", (200, 200, 200, 200, L, 200)),
    *url("password_reset", (200, 200, 200, 200, 200, 200)),
    *url("password_reset_done", (200, 200, 200, 200, 200, 200)),
    *url(
        "password_reset_confirm",
        (200, 200, 200, 200, 200, 200),  # a link that does not work: says so
        kw=lambda s: {"uidb64": "MQ", "token": "no-such-token"},
    ),
    *url("password_reset_complete", (200, 200, 200, 200, 200, 200)),
    *url("password_change", (200, 200, 200, 200, L, 200)),
    *url("password_change_done", (200, 200, 200, 200, L, 200)),
    *url("token-create", (302, 302, 302, 302, L, 302), post=True),
    *url("token-revoke", (302, 302, 302, 302, L, 302), post=True),
    # --- API: authoring ------------------------------------------------------------------------
    *url("api-surveys", (200, 200, 403, 403, 401, 200)),
    *url("api-survey-detail", (200, 403, 403, 403, 401, 404), kw=ex, **API_HR_EX),
    *url("api-survey-detail", (403, 200, 403, 403, 401, 404), kw=cx, label="cx", **API_CX_CX),
    *url("api-survey-publish", (200, 403, 403, 403, 401, 404), post=True, kw=ex, **API_HR_EX),
    *url("api-survey-close", (200, 403, 403, 403, 401, 404), post=True, kw=ex, **API_HR_EX),
    *url("api-teams", (200, 200, 403, 403, 401, 200)),
    # --- API: collection -----------------------------------------------------------------------
    *url("api-survey-responses", (403, 400, 403, 403, 401, 404), post=True, kw=cx, **API_CX_CX),
    *url(
        "api-survey-responses",
        (403, 400, 403, 403, 401, 404),
        kw=cx,
        data=lambda s: {
            "team": their(s).team.pk,
            "answers": [{"question": s.questions["cx"].pk, "value": 4}],
        },
        label="their-team",
    ),
    *url(
        "api-survey-responses",
        (403, 400, 403, 403, 401, 404),
        kw=cx,
        data=lambda s: {
            "team": s.team.pk,
            "answers": [{"question": their(s).questions["cx"].pk, "value": 4}],
        },
        label="their-question",
    ),
    *url("api-survey-invitations", (200, 403, 403, 403, 401, 404), post=True, kw=ex, **API_HR_EX),
    *url(
        "api-survey-invitations",
        (400, 403, 403, 403, 401, 404),
        kw=ex,
        data=lambda s: {"teams": [their(s).team.pk]},
        label="their-team",
    ),
    *url("api-survey-participation", (200, 403, 403, 403, 401, 404), kw=ex, **API_HR_EX),
    # --- API: results and alerts ---------------------------------------------------------------
    *url(
        "api-survey-scores",
        (200, 403, 200, 403, 401, 404),
        kw=ex,
        theirs=(404, 404, 404, 404, 401, 200),
    ),
    *url(
        "api-survey-scores",
        (403, 200, 200, 403, 401, 404),
        kw=cx,
        label="cx",
        theirs=(404, 404, 404, 404, 401, 403),
    ),
    *url("api-linkage", (200, 200, 403, 403, 401, 404), q=both_surveys, **API_HR_EX),
    *url(
        "api-linkage",
        (404, 404, 403, 403, 401, 404),
        q=lambda s: {"ex_survey": s.ex.pk, "cx_survey": their(s).cx.pk},
        label="their-cx-survey",
    ),
    *url("api-alerts", (200, 200, 200, 403, 401, 200)),
    *url(
        "api-alert-resolve",
        (403, 200, 403, 403, 401, 404),
        post=True,
        kw=pk_of("alerts", "cx"),
        theirs=(404, 404, 404, 403, 401, 403),
    ),
    *url(
        "api-alert-resolve",
        (200, 403, 403, 403, 401, 404),
        post=True,
        kw=pk_of("alerts", "ex"),
        label="ex",
        theirs=(404, 404, 404, 403, 401, 200),
    ),
    *url("api-schema", ALL_200),
    *url("api-docs", ALL_200),
    # Any other path under /api/v1/: the API's JSON 404 for everyone, signed in or not.
    *url("api-not-found", (404,) * 6, kw=lambda s: {"path": "surveys/abc/"}),
    *url(
        "api-not-found",
        (404,) * 6,
        post=True,
        kw=lambda s: {"path": "nonexistent/"},
        label="post",
    ),
    # --- Authoring pages -----------------------------------------------------------------------
    *url("surveys:list", (200, 200, 403, 403, L, 200)),
    *url("surveys:people", (200, 403, 403, 403, L, 200)),
    *url(
        "surveys:people",
        (200, 403, 403, 403, L, 200),
        q=lambda s: {"q": "Person", "team": their(s).team.pk},
        label="their-team",
    ),
    *url(
        "surveys:person",
        (200, 403, 403, 403, L, 404),
        kw=lambda s: {"pk": s.person.pk},
        theirs=(404, 403, 403, 403, L, 200),
    ),
    # An unchanged form: saved (302) and nothing recorded.
    *url(
        "surveys:person",
        (302, 403, 403, 403, L, 404),
        kw=lambda s: {"pk": s.person.pk},
        data=lambda s: {"name": s.person.name, "email": s.person.email, "team": s.team.pk},
        theirs=(404, 403, 403, 403, L, 302),
    ),
    *url(
        "surveys:person",
        (400, 403, 403, 403, L, 404),
        kw=lambda s: {"pk": s.person.pk},
        data=lambda s: {"name": "X", "email": s.person.email, "team": their(s).team.pk},
        label="their-team",
    ),
    *url(
        "surveys:person-left",
        (302, 403, 403, 403, L, 404),
        post=True,
        kw=lambda s: {"pk": s.person.pk},
        theirs=(404, 403, 403, 403, L, 302),
    ),
    *url(
        "surveys:person-back",
        (302, 403, 403, 403, L, 404),
        post=True,
        kw=lambda s: {"pk": s.person.pk},
        theirs=(404, 403, 403, 403, L, 302),
    ),
    *url("surveys:create", (200, 200, 403, 403, L, 200)),
    *url("surveys:templates", (200, 200, 403, 403, L, 200)),
    *url(
        "surveys:from-template",
        (302, 403, 403, 403, L, 302),
        post=True,
        kw=lambda s: {"key": "enps_pulse"},
    ),
    *url(
        "surveys:from-template",
        (403, 302, 403, 403, L, 403),
        post=True,
        kw=lambda s: {"key": "csat_post_interaction"},
        label="cx",
    ),
    *url("surveys:detail", (200, 403, 403, 403, L, 404), kw=ex, **HR_EX),
    *url("surveys:detail", (403, 200, 403, 403, L, 404), kw=cx, label="cx", **CX_CX),
    *url("surveys:edit", (200, 403, 403, 403, L, 404), kw=ex, **HR_EX),
    *url("surveys:preview", (200, 403, 403, 403, L, 404), kw=ex, **HR_EX),
    *url("surveys:publish", (302, 403, 403, 403, L, 404), post=True, kw=ex, **HR_EX_POST),
    *url("surveys:close", (200, 403, 403, 403, L, 404), kw=ex, label="confirm", **HR_EX),
    *url("surveys:close", (302, 403, 403, 403, L, 404), post=True, kw=ex, **HR_EX_POST),
    *url("surveys:duplicate", (302, 403, 403, 403, L, 404), post=True, kw=ex, **HR_EX_POST),
    # A live survey: deleting is refused with a message on its page (302).
    *url("surveys:delete", (302, 403, 403, 403, L, 404), kw=ex, label="live", **HR_EX_POST),
    *url("surveys:delete", (302, 403, 403, 403, L, 404), post=True, kw=ex, **HR_EX_POST),
    *url("surveys:question-add", (200, 403, 403, 403, L, 404), kw=ex, **HR_EX),
    *url("surveys:question-edit", (200, 403, 403, 403, L, 404), kw=ex_question, **HR_EX),
    *url(
        "surveys:question-edit",
        (404, 403, 403, 403, L, 404),
        kw=lambda s: {"pk": s.ex.pk, "question_pk": their(s).questions["ex"].pk},
        label="their-question",
    ),
    *url(
        "surveys:question-move",
        (302, 403, 403, 403, L, 404),
        post=True,
        kw=ex_question,
        **HR_EX_POST,
    ),
    *url(
        "surveys:question-remove",
        (200, 403, 403, 403, L, 404),
        kw=ex_question,
        label="confirm",
        **HR_EX,
    ),
    *url(
        "surveys:question-remove",
        (302, 403, 403, 403, L, 404),
        post=True,
        kw=ex_question,
        **HR_EX_POST,
    ),
    # --- Privacy -------------------------------------------------------------------------------
    *url("surveys:audit", (200, 403, 403, 403, L, 200)),
    *url("surveys:privacy", (200, 403, 403, 403, L, 200)),
    *url(
        "surveys:person-export",
        (200, 403, 403, 403, L, 404),
        kw=lambda s: {"pk": s.person.pk},
        theirs=(404, 403, 403, 403, L, 200),
    ),
    *url(
        "surveys:person-erase",
        (200, 403, 403, 403, L, 404),
        kw=lambda s: {"pk": s.person.pk},
        theirs=(404, 403, 403, 403, L, 200),
    ),
    # --- Distribution --------------------------------------------------------------------------
    *url("surveys:distribution", (200, 403, 403, 403, L, 404), kw=ex, **HR_EX),
    *url("surveys:distribution", (403, 200, 403, 403, L, 404), kw=cx, label="cx", **CX_CX),
    # An empty form (no teams chosen, nothing ticked) is re-shown with its errors.
    *url(
        "surveys:distribution-send",
        (400, 403, 403, 403, L, 404),
        post=True,
        kw=ex,
        theirs=(404, 404, 403, 403, L, 400),
    ),
    *url(
        "surveys:distribution-send",
        (400, 403, 403, 403, L, 404),
        kw=ex,
        data=lambda s: {"teams": [their(s).team.pk]},
        label="their-team",
    ),
    *url(
        "surveys:distribution-send",
        (403, 404, 403, 403, L, 404),
        post=True,
        kw=cx,
        label="cx",
        **CX_CX,
    ),
    *url(
        "surveys:distribution-remind", (302, 403, 403, 403, L, 404), post=True, kw=ex, **HR_EX_POST
    ),
    *url("surveys:distribution-schedule", (200, 403, 403, 403, L, 404), kw=ex, **HR_EX),
    # Every field is optional: an empty form makes a link for the whole organisation.
    *url("surveys:link-create", (403, 302, 403, 403, L, 404), post=True, kw=cx, **CX_CX),
    *url(
        "surveys:link-create",
        (403, 400, 403, 403, L, 404),
        kw=cx,
        data=lambda s: {"team": their(s).team.pk, "agent": their(s).person.pk},
        label="their-team",
    ),
    *url("surveys:link-deactivate", (403, 302, 403, 403, L, 404), post=True, kw=cx_link, **CX_CX),
    *url("surveys:link-activate", (403, 302, 403, 403, L, 404), post=True, kw=cx_link, **CX_CX),
    *url(
        "surveys:link-activate",
        (403, 404, 403, 403, L, 404),
        post=True,
        kw=lambda s: {"pk": s.cx.pk, "link_pk": their(s).link.pk},
        label="their-link",
    ),
    *url(
        "surveys:link-deactivate",
        (403, 404, 403, 403, L, 404),
        post=True,
        kw=lambda s: {"pk": s.cx.pk, "link_pk": their(s).link.pk},
        label="their-link",
    ),
    *url(
        "surveys:link-qr",
        (403, 200, 403, 403, L, 404),
        kw=lambda s: {**cx_link(s), "fmt": "png"},
        **CX_CX,
    ),
    # --- Answering -----------------------------------------------------------------------------
    *url("responses:mine", (200, 200, 200, 200, L, 200)),
    # The invitation is a colleague's (their person record has no login): found for nobody else.
    *url("responses:mine-answer", (404, 404, 404, 404, L, 404), kw=colleague_invitation),
    *url("responses:invitation", ALL_200, kw=lambda s: {"token": s.token}),
    *url("responses:link", ALL_200, kw=lambda s: {"signed": s.link_signed}),
    *url("responses:thanks", ALL_200, kw=lambda s: {"signed": s.thanks_signed}),
    # --- Dashboards ----------------------------------------------------------------------------
    *url("dashboards:overview", (200, 200, 200, 403, L, 200)),
    *url("dashboards:ex", (200, 403, 200, 403, L, 200)),
    *url(
        "dashboards:ex",
        (200, 403, 200, 403, L, 404),
        q=lambda s: {"survey": s.ex.pk},
        label="survey",
        theirs=(404, 403, 404, 403, L, 200),
    ),
    # Another organisation's team id is not a choice of the form: 400, as for any unknown id.
    *url(
        "dashboards:ex",
        (200, 403, 403, 403, L, 400),
        q=lambda s: {"team": s.other_team.pk},
        label="other-team",
    ),
    *url("dashboards:cx", (403, 200, 200, 403, L, 403)),
    *url(
        "dashboards:cx",
        (403, 200, 200, 403, L, 403),
        q=lambda s: {"survey": s.cx.pk},
        label="survey",
        theirs=(403, 404, 404, 403, L, 403),
    ),
    *url("dashboards:link", (200, 200, 403, 403, L, 200)),
    *url(
        "dashboards:link",
        (200, 200, 403, 403, L, 404),
        q=both_surveys,
        label="surveys",
        **HR_EX,
    ),
    *url(
        "dashboards:link",
        (404, 404, 403, 403, L, 404),
        q=lambda s: {"ex_survey": their(s).ex.pk, "cx_survey": s.cx.pk},
        label="their-ex-survey",
    ),
    *url(
        "dashboards:export",
        (200, 403, 200, 403, L, 200),
        kw=lambda s: {"dashboard": "ex", "fmt": "csv"},
    ),
    *url(
        "dashboards:export",
        (200, 403, 200, 403, L, 404),
        kw=lambda s: {"dashboard": "ex", "fmt": "csv"},
        q=lambda s: {"survey": s.ex.pk},
        label="ex,survey",
        theirs=(404, 403, 404, 403, L, 200),
    ),
    *url(
        "dashboards:export",
        (200, 403, 403, 403, L, 400),
        kw=lambda s: {"dashboard": "ex", "fmt": "csv"},
        q=lambda s: {"team": s.other_team.pk},
        label="ex,other-team",
    ),
    *url(
        "dashboards:export",
        (403, 200, 200, 403, L, 403),
        kw=lambda s: {"dashboard": "cx", "fmt": "xlsx"},
        label="cx",
    ),
    *url(
        "dashboards:export",
        (200, 200, 403, 403, L, 200),
        kw=lambda s: {"dashboard": "link", "fmt": "csv"},
        label="link",
    ),
    *url(
        "dashboards:export",
        (200, 200, 200, 403, L, 200),
        kw=lambda s: {"dashboard": "overview", "fmt": "csv"},
        label="overview",
    ),
    *url(
        "dashboards:raw-export",
        (403, 200, 403, 403, L, 404),
        kw=lambda s: {**cx(s), "fmt": "csv"},
        **CX_CX,
    ),
    # The EX survey is anonymous: its responses are never exported one by one.
    *url(
        "dashboards:raw-export",
        (403, 403, 403, 403, L, 404),
        kw=lambda s: {**ex(s), "fmt": "csv"},
        label="anonymous-ex",
        theirs=(404, 404, 403, 403, L, 403),
    ),
    # --- Alerts (alerts on our team; "other-team" alerts are on the team lead's other team) -----
    *url("dashboards:alerts", (200, 200, 200, 403, L, 200)),
    *url(
        "dashboards:alert-detail",
        (403, 200, 200, 403, L, 404),
        kw=pk_of("alerts", "cx"),
        theirs=(404, 404, 404, 403, L, 403),
    ),
    *url(
        "dashboards:alert-detail",
        (200, 403, 200, 403, L, 404),
        kw=pk_of("alerts", "ex"),
        label="ex",
        theirs=(404, 404, 404, 403, L, 200),
    ),
    *url(
        "dashboards:alert-detail",
        (403, 200, 403, 403, L, 404),
        kw=pk_of("other_team_alerts", "cx"),
        label="other-team",
    ),
    *url(
        "dashboards:alert-acknowledge",
        (403, 302, 302, 403, L, 404),
        post=True,
        kw=pk_of("alerts", "cx"),
        theirs=(404, 404, 404, 403, L, 403),
    ),
    *url(
        "dashboards:alert-acknowledge",
        (403, 302, 403, 403, L, 404),
        post=True,
        kw=pk_of("other_team_alerts", "cx"),
        label="other-team",
    ),
    # An empty form unassigns the alert.
    *url(
        "dashboards:alert-assign",
        (403, 302, 403, 403, L, 404),
        post=True,
        kw=pk_of("alerts", "cx"),
        **CX_CX,
    ),
    *url(
        "dashboards:alert-assign",
        (403, 400, 403, 403, L, 404),
        kw=pk_of("alerts", "cx"),
        data=lambda s: {"assignee": their(s).cx_manager.user.pk},
        label="their-user",
    ),
    *url(
        "dashboards:alert-note",
        (403, 400, 400, 403, L, 404),
        post=True,
        kw=pk_of("alerts", "cx"),
        theirs=(404, 404, 404, 403, L, 403),
    ),
    *url(
        "dashboards:alert-note",
        (403, 400, 403, 403, L, 404),
        post=True,
        kw=pk_of("other_team_alerts", "cx"),
        label="other-team",
    ),
    *url(
        "dashboards:alert-resolve",
        (403, 302, 403, 403, L, 404),
        post=True,
        kw=pk_of("alerts", "cx"),
        **CX_CX,
    ),
    # CX managers open a detractor's follow-up; the world's CX responses (CSAT 4) have no
    # detractor answer (400), and the EX survey is anonymous, of the other kind besides.
    *url(
        "dashboards:alert-follow-up-open",
        (403, 400, 403, 403, L, 403),
        post=True,
        kw=lambda s: {"response_pk": s.cx.responses.order_by("id").first().pk},
        theirs=(403, 404, 403, 403, L, 403),
    ),
    *url(
        "dashboards:alert-follow-up-open",
        (403, 403, 403, 403, L, 403),
        post=True,
        kw=lambda s: {"response_pk": s.ex.responses.order_by("id").first().pk},
        label="ex",
    ),
    *url("dashboards:alert-rules", (200, 200, 403, 403, L, 200)),
    *url("dashboards:alert-rule-create", (200, 200, 403, 403, L, 200)),
    # A complete CX rule is saved; the same rule naming the other organisation's survey, team or
    # owner is refused as a form error (their ids are not among the choices).
    *url(
        "dashboards:alert-rule-create",
        (400, 302, 403, 403, L, 400),
        data=lambda s: cx_rule(survey=s.cx, team=s.team, owner=s.cx_manager),
        label="cx",
    ),
    *url(
        "dashboards:alert-rule-create",
        (400, 400, 403, 403, L, 400),
        data=lambda s: cx_rule(survey=their(s).cx, team=s.team, owner=s.cx_manager),
        label="their-survey",
    ),
    *url(
        "dashboards:alert-rule-create",
        (400, 400, 403, 403, L, 400),
        data=lambda s: cx_rule(survey=s.cx, team=their(s).team, owner=s.cx_manager),
        label="their-team",
    ),
    *url(
        "dashboards:alert-rule-create",
        (400, 400, 403, 403, L, 400),
        data=lambda s: cx_rule(survey=s.cx, team=s.team, owner=their(s).cx_manager),
        label="their-owner",
    ),
    *url(
        "dashboards:alert-rule-edit",
        (403, 200, 403, 403, L, 404),
        kw=pk_of("rules", "cx"),
        **CX_CX,
    ),
    *url(
        "dashboards:alert-rule-edit",
        (200, 403, 403, 403, L, 404),
        kw=pk_of("rules", "ex"),
        label="ex",
        **HR_EX,
    ),
    *url(
        "dashboards:alert-rule-delete",
        (403, 200, 403, 403, L, 404),
        kw=pk_of("rules", "cx"),
        **CX_CX,
    ),
    *url("dashboards:alert-webhooks", (200, 200, 403, 403, L, 200)),
    *url(
        "dashboards:alert-webhook-delete",
        (403, 302, 403, 403, L, 404),
        post=True,
        kw=pk_of("webhooks", "cx"),
        **CX_CX,
    ),
    *url("dashboards:alert-deliveries", (200, 200, 403, 403, L, 200)),
    *url(
        "dashboards:alert-delivery-resend",
        (403, 302, 403, 403, L, 404),
        post=True,
        kw=pk_of("outbox", "cx"),
        **CX_CX,
    ),
    # --- Odd input: never a 500 ------------------------------------------------------------------
    *url(
        "surveys:detail", (404, 404, 403, 403, L, 404), kw=lambda s: {"pk": HUGE}, label="huge-id"
    ),
    *url(
        "api-survey-scores",
        (404, 404, 404, 404, 401, 404),
        kw=lambda s: {"pk": HUGE},
        label="huge-id",
    ),
    *url(
        "dashboards:alert-detail",
        (404, 404, 404, 403, L, 404),
        kw=lambda s: {"pk": HUGE},
        label="huge-id",
    ),
    *url(
        "surveys:from-template",
        (404, 404, 403, 403, L, 404),
        post=True,
        kw=lambda s: {"key": "no-such-template"},
        label="unknown",
    ),
    *url(
        "dashboards:export",
        (404, 404, 404, 404, L, 404),
        kw=lambda s: {"dashboard": "people", "fmt": "csv"},
        label="unknown",
    ),
    *url(
        "dashboards:raw-export",
        (404, 404, 403, 403, L, 404),
        kw=lambda s: {**cx(s), "fmt": "pdf"},
        label="unknown-format",
    ),
    *url(
        "surveys:link-qr",
        (403, 404, 403, 403, L, 404),
        kw=lambda s: {**cx_link(s), "fmt": "gif"},
        label="unknown-format",
    ),
    *url("dashboards:ex", (400, 403, 400, 403, L, 400), q=lambda s: {"survey": "x"}, label="bad"),
    *url(
        "api-survey-scores",
        (400, 403, 400, 403, 401, 404),
        kw=ex,
        q=lambda s: {"group_by": "shoe-size"},
        label="bad",
    ),
    *url(
        "api-survey-participation",
        (400, 403, 403, 403, 401, 404),
        kw=ex,
        q=lambda s: {"cycle": "²"},
        label="superscript-digit",
    ),
    # Ids that exist nowhere are 404 (like another organisation's); what is no number is 400.
    *url(
        "api-linkage",
        (404, 404, 403, 403, 401, 404),
        q=lambda s: {"ex_survey": "x", "cx_survey": HUGE},
        label="huge-id",
    ),
    *url(
        "api-linkage",
        (400, 400, 403, 403, 401, 404),
        q=lambda s: {"ex_survey": "²", "cx_survey": s.cx.pk},
        label="superscript-digit",
    ),
    *url(
        "dashboards:link",
        (404, 404, 403, 403, L, 404),
        q=lambda s: {"ex_survey": HUGE, "cx_survey": s.cx.pk},
        label="huge-id",
    ),
    *url(
        "dashboards:cx",
        (403, 400, 400, 403, L, 403),
        q=lambda s: {"survey": "²"},
        label="superscript-digit",
    ),
]


# --- The world, built once for the module --------------------------------------------------------


@pytest.fixture(scope="module")
def access(django_db_setup, django_db_blocker) -> Iterator[AccessWorld]:
    """Built once in a transaction rolled back at the end of the module; each test runs in a
    savepoint inside it (pytest-django's `db`), so what one request changes, the next never sees."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield access_world_build()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def sessions(access) -> dict[str, str]:
    """A signed-in session per role, made once (a test that signs out is rolled back)."""
    keys = {}
    for role in ROLES:
        if (member := access.member(role)) is not None:
            browser = Client()
            browser.force_login(member.user)
            keys[role] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


@pytest.fixture(scope="module")
def tokens(access) -> dict[str, str]:
    return {
        role: Token.objects.create(user=access.member(role).user).key
        for role in ROLES
        if role != "anonymous"
    }


# --- Every URL has a row ------------------------------------------------------------------------


def url_patterns(resolver: URLResolver | None = None, namespace: str = "", route: str = ""):
    """(full name or None, route) of every pattern, through includes and namespaces; the Django
    admin is left to its own test."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        here = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin" and not namespace:
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from url_patterns(pattern, inner, here)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, here


def test_every_url_pattern_is_named():
    unnamed = [route for name, route in url_patterns() if not name]
    assert not unnamed, f"name these URL patterns (and add them to URL_ACCESS): {unnamed}"


def test_every_url_name_is_in_the_table():
    covered = {check.name for check in URL_ACCESS}
    missing = sorted({name for name, _ in url_patterns() if name} - covered)
    assert not missing, "\n".join(
        f"add {name} to URL_ACCESS in tests/config/test_url_access.py" for name in missing
    )


def test_the_table_names_only_existing_urls():
    stale = sorted({check.name for check in URL_ACCESS} - {name for name, _ in url_patterns()})
    assert not stale, f"remove or rename these rows of URL_ACCESS: {stale}"


# --- The table ----------------------------------------------------------------------------------


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def forbidden_texts(check: Check, role: str) -> list[str]:
    """What `role` must never see: the other organisation; the other kind's comments and alerts
    (owners); the other team's (team lead); any comment or alert (staff, visitors)."""
    if role == "outsider":
        return [] if check.name in PUBLIC_ANSWER_PAGES else [OURS]
    other_org = [] if role == "anonymous" else [THEIRS]
    kinds, teams = {
        "hr_admin": (["cx"], ["front", "night"]),
        "cx_manager": (["ex"], ["front", "night"]),
        "team_lead": (["ex", "cx"], ["night"]),
    }.get(role, (["ex", "cx"], ["front", "night"]))
    return other_org + [
        secret(OURS, kind, what, team)
        for kind in kinds
        for what in ("comment", "alert")
        for team in teams
    ]


def assert_nothing_leaks(check: Check, role: str, response) -> None:
    body = _body(response)
    shown = [text for text in forbidden_texts(check, role) if text.encode() in body]
    assert not shown, f"{check.id} shows {role} {shown}"


def request(client, check: Check, side: Side):
    path = reverse(check.name, kwargs=check.kwargs(side) if check.kwargs else None)
    query = check.query(side) if check.query else {}
    if check.method == "get":
        return client.get(path, query)
    path = f"{path}?{urlencode(query)}" if query else path
    data = check.data(side) if check.data else {}
    if check.name.startswith("api-"):
        return client.post(path, json.dumps(data), content_type="application/json")
    return client.post(path, data)


CASES = [
    pytest.param(check, role, id=f"{check.id}-{role}") for check in URL_ACCESS for role in ROLES
]


@pytest.mark.parametrize(("check", "role"), CASES)
def test_url_access(access, sessions, client, check, role):
    if role in sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]

    response = request(client, check, getattr(access, check.side))

    expected = check.expect[role]
    if expected == L:
        assert response.status_code == 302, (check.id, role, response.status_code)
        assert response["Location"].startswith(reverse("login")), response["Location"]
    else:
        assert response.status_code == expected, (check.id, role, response.status_code)
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"
    assert_nothing_leaks(check, role, response)


TOKEN_CASES = [case for case in CASES if case.values[0].name.startswith("api-")]
TOKEN_CASES = [case for case in TOKEN_CASES if case.values[1] != "anonymous"]


@pytest.mark.parametrize(("check", "role"), TOKEN_CASES)
def test_api_access_with_a_token(access, tokens, check, role):
    """The API answers a token client exactly as it answers a signed-in browser."""
    client = Client(HTTP_AUTHORIZATION=f"Token {tokens[role]}", enforce_csrf_checks=True)

    response = request(client, check, getattr(access, check.side))

    assert response.status_code == check.expect[role], (check.id, role, response.status_code)
    assert_nothing_leaks(check, role, response)


# --- The Django admin ---------------------------------------------------------------------------


def admin_urls() -> list[str]:
    return [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("role", ROLES)
def test_admin_sends_everyone_but_superusers_to_its_sign_in(sessions, client, role):
    if role in sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
    login = reverse("admin:login")
    for path in admin_urls():
        response = client.get(path)
        assert response.status_code == 302, (path, role)
        assert response["Location"].startswith(login), (path, role)


def test_admin_opens_for_a_superuser(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert all(client.get(path).status_code == 200 for path in admin_urls())


# --- The markers are there to be found ----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "name", "shown"),
    [
        ("hr_admin", "dashboards:ex", ["ex-comment-front", "ex-comment-night"]),
        ("cx_manager", "dashboards:cx", ["cx-comment-front", "cx-comment-night"]),
        ("team_lead", "dashboards:ex", ["ex-comment-front"]),
        ("team_lead", "dashboards:cx", ["cx-comment-front"]),
        ("hr_admin", "dashboards:alerts", ["ex-alert-front", "ex-alert-night"]),
        ("cx_manager", "dashboards:alerts", ["cx-alert-front", "cx-alert-night"]),
        ("team_lead", "dashboards:alerts", ["ex-alert-front", "cx-alert-front"]),
        ("cx_manager", "api-alerts", ["cx-alert-front", "cx-alert-night"]),
    ],
)
def test_the_leak_check_finds_what_each_role_may_see(access, client, role, name, shown):
    """Without this, a page that showed no comments at all would pass the leak check."""
    client.force_login(access.member(role).user)
    body = client.get(reverse(name)).content.decode()
    assert [f"{OURS}-{text}" for text in shown if f"{OURS}-{text}" not in body] == []


def test_a_team_lead_under_the_threshold_sees_no_figures_or_comments(access, client):
    """Two answers in the lead's team (threshold 5): the team's own figures stay hidden too."""
    ours = access.ours
    tiny = TeamFactory(organization=ours.org, name="Tiny")
    lead = MembershipFactory(organization=ours.org, role=Role.TEAM_LEAD, team=tiny)
    comment = ours.ex.questions.get(type="text")
    for _ in range(2):
        response_with_answers(
            survey=ours.ex, team=tiny, answers={ours.questions["ex"]: 0, comment: "tiny-secret"}
        )
    survey_rebuild(survey_id=ours.ex.pk)
    client.force_login(lead.user)

    page = client.get(reverse("dashboards:ex"), {"survey": ours.ex.pk})
    scores = client.get(reverse("api-survey-scores", kwargs={"pk": ours.ex.pk}))

    assert page.status_code == 200
    assert b"tiny-secret" not in page.content
    assert scores.json()["results"] == [
        {"group": None, "period": "all", "respondents": 2, "suppressed": True}
    ]
