"""Dashboard pages and their exports.

Thin views: each page builder validates the filters (bad filters: the page with the form's
errors and a list of the bad parameters, status 400), narrows them to what the member may see, and
calls the dashboard's selector. The export of a page is the same builder's tables, so it holds
exactly what the page shows; with bad filters it is a 400 in plain text naming them.

A page's content is kept (dashboards.results_cache) per role, team and query string until the
organisation's results change; its access checks run on every request, and so does the audit
entry of comments viewed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from config.audit import AuditAction, audit_record
from dashboards import results_cache
from dashboards.exports import FORMATS, export_response
from dashboards.forms import (
    LINK_PERIOD_CHOICES,
    CommentFilterForm,
    DashboardFilterForm,
    FollowUpPageForm,
    LinkFilterForm,
)
from dashboards.reads import shared_reads
from dashboards.selectors.comments import comment_list, comments_table
from dashboards.selectors.common import (
    default_survey,
    default_survey_for_metric,
    filters_from_form,
    surveys_outside_org,
)
from dashboards.selectors.cx import cx_dashboard
from dashboards.selectors.ex import ex_dashboard
from dashboards.selectors.linkage import (
    CX_METRICS,
    EX_METRICS,
    early_warnings,
    left_out_label,
    link_detail,
    link_tables,
)
from dashboards.selectors.overview import overview_dashboard
from dashboards.selectors.raw import raw_responses_table
from surveys.models import Membership, Role, Survey, SurveyKind, Team
from surveys.permissions import can_author, can_view_results, membership_required, team_scope

_RESULTS = (Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD)
DASHBOARD_ROLES = {
    "overview": _RESULTS,
    "ex": (Role.HR_ADMIN, Role.TEAM_LEAD),
    "cx": (Role.CX_MANAGER, Role.TEAM_LEAD),
    "link": (Role.HR_ADMIN, Role.CX_MANAGER),
}
# Who gets the pages' POST buttons (the CX page's "Open follow-up"): page.html's form for them.
ACTION_ROLES = {"cx": (Role.CX_MANAGER,)}
# The forms a page's query string is validated by (those it has).
_FILTER_FORMS = ("form", "comment_form", "follow_up_form")


def _surveys_in_org(request, names: tuple[str, ...]) -> None:
    """A survey id from another organisation is not found (404), whatever the page; an id of
    the wrong kind in one's own organisation is a filter error (400), left to the form."""
    if surveys_outside_org(request.GET, names, organization_id=request.membership.organization_id):
        raise Http404("No such survey.")


def _choice(request, name: str, choices: dict, default: str) -> str:
    """A metric named in the query string, for picking default surveys (the form validates it)."""
    value = request.GET.get(name, "")
    return value if value in choices else default


def _only_team(membership: Membership) -> Team | None:
    """The team whose figures are all the member may see (a team lead's), for the filter bar."""
    return membership.team if team_scope(membership) is not None else None


def _kept_filters(form) -> dict[str, str]:
    return {name: form.data[name] for name in form.base_fields if form.data.get(name)}


def _raw_export_query(membership: Membership, form) -> str | None:
    """The raw responses export's query string for the page's filters (its dates written out,
    as the page shows them), or None when the member may not export the survey's responses one
    by one (an anonymous survey, or not its kind's owner: raw_export's rules)."""
    survey = form.cleaned_data["survey"]
    if survey.anonymous or not can_author(membership, survey.kind):
        return None
    return urlencode(_kept_filters(form))


# The filters every dashboard page reads alike, which the navigation carries from one page to
# the next (not the survey ids: each page has its own kinds of survey).
SHARED_FILTERS = ("start", "end", "period", "department", "team", "location")
_LINK_FILTERS = {"start": None, "end": None, "period": {value for value, _ in LINK_PERIOD_CHOICES}}


def nav_queries(query: QueryDict, *, current: str) -> dict[str, str]:
    """{page name: "?..." or ""}: the current page's shared filters for each dashboard's
    navigation link (the link page takes dates and its own period sizes only), and the whole
    query string for the current page's own link.

    Drawn for each request in page.html's navigation, outside the kept content: it follows the
    query string, which the content's key holds anyway."""
    shared = {name: query[name] for name in SHARED_FILTERS if query.get(name)}
    if shared.get("period") == "week":  # refused where a survey shown is anonymous: not carried
        del shared["period"]
    to_link = {
        name: value
        for name, value in shared.items()
        if name in _LINK_FILTERS and (_LINK_FILTERS[name] is None or value in _LINK_FILTERS[name])
    }
    queries = {name: shared for name in ("overview", "ex", "cx")} | {"link": to_link}
    found = {name: f"?{urlencode(values)}" if values else "" for name, values in queries.items()}
    if query:
        found[current] = f"?{query.urlencode()}"
    return found


# --- Page builders: (context, status), after the page's check ----------------------------------


def _overview_check(request) -> None:
    if not can_view_results(request.membership):
        raise PermissionDenied("Your role does not give access to results.")


def _overview_page(request) -> tuple[dict, int]:
    membership = request.membership
    form = DashboardFilterForm(
        request.GET,
        organization=membership.organization,
        with_survey=False,
        only_team=_only_team(membership),
    )
    if not form.is_valid():
        return {"form": form}, 400
    filters = filters_from_form(cleaned=form.cleaned_data, membership=membership)
    return {
        "form": form,
        "filters": filters,
        **overview_dashboard(filters=filters, membership=membership),
    }, 200


def _results_check(request, kind: str) -> None:
    if not can_view_results(request.membership, kind):
        raise PermissionDenied("Your role does not give access to these results.")
    _surveys_in_org(request, ("survey",))


def _results_page(request, kind: str) -> tuple[dict, int]:
    """The EX or CX dashboard of one survey, with its comments."""
    membership = request.membership
    organization = membership.organization
    form = DashboardFilterForm(
        request.GET,
        organization=organization,
        kinds=(kind,),
        default_survey=default_survey(
            organization=organization, kinds=(kind,), team_id=team_scope(membership)
        ),
        only_team=_only_team(membership),
    )
    comment_form = CommentFilterForm(request.GET, keep=_kept_filters(form))
    context = {"form": form, "comment_form": comment_form, "kind": kind}
    if kind == SurveyKind.CX:
        context["follow_up_form"] = FollowUpPageForm(request.GET)
    if not all(context[name].is_valid() for name in _FILTER_FORMS if name in context):
        return context, 400
    filters = filters_from_form(cleaned=form.cleaned_data, membership=membership)
    context["filters"] = filters
    if filters.survey is None:
        return context, 200
    if kind == SurveyKind.CX:
        page = context["follow_up_form"].cleaned_data["follow_ups_page"] or 1
        context.update(cx_dashboard(filters=filters, follow_ups_page=page))
    else:
        context.update(ex_dashboard(filters=filters))
    context["raw_export_query"] = _raw_export_query(membership, form)
    if context["has_comments"]:
        wanted = comment_form.cleaned_data
        context["comment_filters"] = {
            "sentiment": wanted["sentiment"],
            "driver": wanted["driver"],
            "search": wanted["q"],
        }
        context["comments"] = comment_list(
            filters=filters, page=wanted["page"] or 1, **context["comment_filters"]
        )
        _audit(request, AuditAction.COMMENTS_VIEW, filters.survey, dashboard=kind)
    return context, 200


def _audit(request, action: str, survey: Survey | None, **detail) -> None:
    """Who looked at comments, raw responses or an export: HR admins read it on the audit page."""
    audit_record(
        organization=request.membership.organization,
        user=request.user,
        action=action,
        obj=survey,
        detail={**detail, "filters": {k: v for k, v in request.GET.items() if k != "page"}},
        request=request,
    )


def _link_check(request) -> None:
    _surveys_in_org(request, ("ex_survey", "cx_survey"))


def _link_page(request) -> tuple[dict, int]:
    membership = request.membership
    organization = membership.organization
    ex_default = default_survey_for_metric(
        organization=organization,
        kind=SurveyKind.EX,
        metric=_choice(request, "ex_metric", EX_METRICS, "enps"),
    )
    cx_default = default_survey_for_metric(
        organization=organization,
        kind=SurveyKind.CX,
        metric=_choice(request, "cx_metric", CX_METRICS, "csat"),
    )
    form = LinkFilterForm(
        request.GET,
        organization=organization,
        defaults={
            "ex_survey": ex_default and ex_default.pk,
            "cx_survey": cx_default and cx_default.pk,
        },
    )
    context = {
        "form": form,
        "missing": [
            kind for kind, s in (("employee", ex_default), ("customer", cx_default)) if s is None
        ],
    }
    if context["missing"]:
        context["missing_message"] = (
            "The link needs an employee survey with eNPS or engagement questions and a customer "
            "survey with CSAT, NPS or CES, answered by the same teams. Missing: the "
            + " and the ".join(context["missing"])
            + " survey."
        )
        return context, 200
    if not form.is_valid():
        return context, 400
    data = form.cleaned_data
    choice = {
        key: data[key] for key in ("ex_survey", "cx_survey", "ex_metric", "cx_metric", "period")
    }
    result, detail = link_detail(**choice, lag=data["lag"], start=data["start"], end=data["end"])
    warnings = early_warnings(**choice, reference=data["end"])
    labels = {"ex_label": EX_METRICS[data["ex_metric"]], "cx_label": CX_METRICS[data["cx_metric"]]}
    tables = link_tables(
        result=result,
        detail=detail,
        warnings=warnings,
        period=data["period"],
        lag=data["lag"],
        **labels,
    )
    context.update(
        result=result,
        left_out=left_out_label(result=result, detail=detail, period=data["period"]),
        left_out_names=detail["left_out_names"],
        warnings=warnings,
        tables=tables,
        points=tables[0],
        **labels,
    )
    return context, 200


@dataclass(frozen=True)
class Page:
    build: Callable  # request -> (context, status)
    check: Callable  # request -> None: its access checks (raises), made before a kept page
    template: str  # the content (extends dashboards/_base.html)
    title: str
    kinds: tuple[str, ...] = (SurveyKind.EX, SurveyKind.CX)  # of the surveys it shows


PAGES = {
    "overview": Page(_overview_page, _overview_check, "dashboards/overview.html", "Overview"),
    "ex": Page(
        lambda request: _results_page(request, SurveyKind.EX),
        lambda request: _results_check(request, SurveyKind.EX),
        "dashboards/ex.html",
        "Employee experience",
        (SurveyKind.EX,),
    ),
    "cx": Page(
        lambda request: _results_page(request, SurveyKind.CX),
        lambda request: _results_check(request, SurveyKind.CX),
        "dashboards/cx.html",
        "Customer experience",
        (SurveyKind.CX,),
    ),
    "link": Page(_link_page, _link_check, "dashboards/link.html", "EX→CX link"),
}


def _filter_errors(context: dict) -> list[dict]:
    """Each invalid query parameter of the page's filter forms: its name, its label and why."""
    errors = []
    for form in (context[key] for key in _FILTER_FORMS if key in context):
        for name, messages in form.errors.items():
            field = name != NON_FIELD_ERRORS
            for message in messages:
                errors.append(
                    {
                        "name": name if field else "",
                        "label": form[name].label if field else "Filters",
                        # a bad choice is quoted in its message: keep a long one short
                        "message": Truncator(message).chars(200),
                    }
                )
    return errors


def _without(query: QueryDict, names: set[str]) -> str:
    """The query string less the named parameters."""
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def _page(request, name: str):
    page = PAGES[name]
    page.check(request)
    key = page_key(request, name)
    content, status = results_cache.kept(key), 200
    if content is None:
        content, status = page_keep(request, name, key)
        if status == 200:  # computed ahead after scored batches from now on (dashboards.refresh)
            membership = request.membership
            results_cache.viewed_note(
                organization_id=membership.organization_id,
                page=(
                    name,
                    membership.role,
                    team_scope(membership),
                    request.GET.urlencode(),
                    translation.get_language(),
                ),
                user_id=request.user.pk,
            )
    elif content["comments_of"] is not None:  # as the builder does when it lists comments
        _audit(
            request, AuditAction.COMMENTS_VIEW, Survey(pk=content["comments_of"]), dashboard=name
        )
    return render(
        request,
        "dashboards/page.html",
        {
            "title": page.title,
            "content": mark_safe(content["html"]),  # noqa: S308 - our template's output
            "actions_form": request.membership.role in ACTION_ROLES.get(name, ()),
            "nav_query": nav_queries(request.GET, current=name),
        },
        status=status,
    )


def page_key(request, name: str) -> results_cache.Key | None:
    """The key the page is kept under for this member's request (after its check)."""
    membership = request.membership
    return results_cache.kept_key(
        organization=membership.organization,
        kinds=PAGES[name].kinds,
        parts=("page", name, membership.role, team_scope(membership), sorted(request.GET.lists())),
    )


def page_keep(request, name: str, key: results_cache.Key | None) -> tuple[dict, int]:
    """The page's content computed, and kept under `key` when it is a page (not a 400)."""
    content, status = _content(request, name, PAGES[name])
    if status == 200:
        results_cache.keep(key, content)
    return content, status


def _content(request, name: str, page: Page) -> tuple[dict, int]:
    """The page's content as HTML, with the survey whose comments it lists (or None)."""
    with shared_reads():  # the page's panels share equal reads (dashboards.reads)
        context, status = page.build(request)
    if status == 400:
        errors = _filter_errors(context)
        bad = {error["name"] for error in errors if error["name"]}
        context["filter_errors"] = errors
        context["valid_query"] = _without(request.GET, bad) if bad else None
    else:
        context["filter_bar"] = _form_html(request, name, context["form"])
        if context.get("has_comments"):
            context["comment_bar"] = _form_html(
                request, name, context["comment_form"], context["form"]
            )
    html = render_to_string(page.template, {**context, "dashboard": name}, request)
    comments_of = context["filters"].survey.pk if context.get("has_comments") else None
    return {"html": html, "comments_of": comments_of}, status


def _form_html(request, name: str, form, *more) -> str:
    """A valid filter form drawn (crispy's field templates: ~10–35 ms for the filter bar's
    lists), kept while the organisation's structure and surveys stay as they are: scored
    batches do not change it. The key holds what it is drawn from: its data (the query string
    with the defaults filled in, the default survey among them), initial values, and those of
    `more` forms its hidden fields carry."""
    membership = request.membership
    state = [
        (sorted((key, str(f.data.get(key))) for key in f.data), sorted(f.initial.items()))
        for f in (form, *more)
    ]
    key = results_cache.kept_key(
        organization=membership.organization,
        kinds=(),  # results_version only
        parts=("form", name, type(form).__name__, membership.role, team_scope(membership), state),
    )
    html = results_cache.kept(key)
    if html is None:
        html = render_to_string("dashboards/_form.html", {"form": form}, request)
        results_cache.keep(key, html)
    return mark_safe(html)  # noqa: S308 - crispy's output of our form


# --- Views ---------------------------------------------------------------------------------------


@require_GET
@membership_required(*DASHBOARD_ROLES["overview"])
def overview(request):
    return _page(request, "overview")


@require_GET
@membership_required(*DASHBOARD_ROLES["ex"])
def ex(request):
    return _page(request, "ex")


@require_GET
@membership_required(*DASHBOARD_ROLES["cx"])
def cx(request):
    return _page(request, "cx")


@require_GET
@membership_required(*DASHBOARD_ROLES["link"])
def link(request):
    return _page(request, "link")


@require_GET
@membership_required()
def export(request, dashboard: str, fmt: str):
    """CSV or XLSX of a dashboard's tables, under the same filters and suppression as the page."""
    if dashboard not in PAGES or fmt not in FORMATS:
        raise Http404("No such export.")
    if request.membership.role not in DASHBOARD_ROLES[dashboard]:
        raise PermissionDenied("Your role does not give access to this dashboard.")
    page = PAGES[dashboard]
    page.check(request)
    context, status = page.build(request)
    if status != 200:
        return _export_refused(context)
    tables = list(context.get("tables", []))
    if context.get("has_comments"):
        tables.append(comments_table(filters=context["filters"], **context["comment_filters"]))
    filters = context.get("filters")
    _audit(
        request,
        AuditAction.EXPORT_DOWNLOAD,
        getattr(filters, "survey", None),
        dashboard=dashboard,
        format=fmt,
    )
    return export_response(tables=tables, name=dashboard, fmt=fmt)


def _export_refused(context: dict) -> HttpResponseBadRequest:
    """A short answer naming the bad parameters, not an HTML page saved as CSV."""
    lines = [f"- {e['name'] or e['label']}: {e['message']}" for e in _filter_errors(context)]
    return HttpResponseBadRequest(
        "\n".join(["Some filters are not valid, so nothing was exported:", *lines, ""]),
        content_type="text/plain; charset=utf-8",
    )


@require_GET
@membership_required(Role.HR_ADMIN, Role.CX_MANAGER)
def raw_export(request, pk: int, fmt: str):
    """The responses of a non-anonymous survey, for its kind's owner (HR admin / CX manager),
    under the page's filters (date range, department, team, location; the same defaults)."""
    if fmt not in FORMATS:
        raise Http404("No such export.")
    membership = request.membership
    survey = get_object_or_404(Survey, pk=pk, organization_id=membership.organization_id)
    if not can_author(membership, survey.kind):
        raise PermissionDenied("Only the survey's owners export its responses.")
    if survey.anonymous:
        raise PermissionDenied("Responses to an anonymous survey are never exported one by one.")
    _surveys_in_org(request, ("survey",))
    form = DashboardFilterForm(
        request.GET,
        organization=membership.organization,
        kinds=(survey.kind,),
        default_survey=survey,
    )
    if form.is_valid() and form.cleaned_data["survey"] != survey:
        form.add_error("survey", f"This export is of “{survey.title}”: leave the survey out.")
    if not form.is_valid():
        return _export_refused({"form": form})
    filters = filters_from_form(cleaned=form.cleaned_data, membership=membership)
    _audit(request, AuditAction.RESPONSES_VIEW, survey, export="raw", format=fmt)
    return export_response(
        tables=[raw_responses_table(filters=filters)],
        name=f"survey-{survey.pk}-responses",
        fmt=fmt,
    )
