"""Scoring services: comment sentiment, and rollups kept equal to the source rows.

A bucket is (survey, team, day). Two ways keep the rollups right, and they agree:

- Adding (PostgreSQL 15+, the scoring task): a response's counts are added to its rollup rows
  exactly once, in the transaction that sets its `counted` flag (compare-and-set), with
  INSERT ... ON CONFLICT DO UPDATE on the rollups' unique grain. A task costs what its own
  responses cost, however many the bucket already holds.
- Recomputing (a rebuild, an erasure, and scoring where there is no unique grain: SQLite): the
  rows are replaced by one INSERT ... SELECT over the source rows, which counts every stored
  response and marks them all counted in the same transaction, so an add never counts one twice.

Nothing is loaded into Python except the text of comments that still need a sentiment score, in
chunks. Running a task twice, concurrently, or after a crash gives the same rows, and
`scores_rebuild` gives exactly what the tasks gave.

Locks (PostgreSQL advisory locks, held until the transaction ends): adding takes the survey's lock
shared and the survey's add lock exclusive; a bucket recompute takes the survey's lock shared, its
add lock, then the bucket's month and day locks; a rebuild takes the survey's lock exclusive. So
two writers never interleave on the same rows. On SQLite the transaction already holds the
database write lock (settings use BEGIN IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config import rows
from dashboards import metrics, pairs, queueing
from dashboards.alerting.services import alert_rules_evaluate, survey_has_listeners
from dashboards.alerting.webhooks import response_webhooks_queue
from dashboards.models import (
    HISTOGRAM_FIELDS,
    PAIR_FIELDS,
    PairOutcome,
    QuestionRollup,
    ResponseRollup,
)
from dashboards.monthly import TABLES as MONTH_TABLES
from dashboards.monthly import month_refresh, months_rebuild
from dashboards.rowdiff import delete_then_insert, rows_replace
from responses.models import Answer, Response
from surveys.models import Organization, Question, QuestionType, Survey
from surveys.signals import results_scored

logger = logging.getLogger(__name__)

SENTIMENT_CHUNK = 500
RECONCILE_AFTER_SECONDS = 10  # give the response's own task time to run first
COALESCE_LIMIT = 500  # responses one scoring task marks at most (their alerts run in it)


@dataclass(frozen=True)
class Bucket:
    survey_id: int
    team_id: int | None
    day: dt.date

    def __str__(self) -> str:
        return f"survey {self.survey_id} team {self.team_id} {self.day}"


# --- Sentiment ----------------------------------------------------------------------------------


@cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def comment_sentiment(text: str) -> tuple[float, str]:
    """VADER's compound score in [-1, 1] and its label."""
    score = _analyzer().polarity_scores(text)["compound"]
    return score, metrics.sentiment_label(score)


def sentiment_fill(*, answers) -> int:
    """Score the text answers among `answers` that have no sentiment yet; chunked, keyset-paged."""
    pending = answers.filter(
        question__type=QuestionType.TEXT, sentiment_score__isnull=True
    ).exclude(value_text="")
    # executemany, not bulk_update: building bulk_update's CASE expressions costs ~2 ms a row.
    sql = f"UPDATE {_table(Answer)} SET sentiment_score = %s, sentiment_label = %s WHERE id = %s"
    done, last_id = 0, 0
    while batch := list(
        pending.filter(id__gt=last_id)
        .order_by("id")
        .values_list("id", "value_text")[:SENTIMENT_CHUNK]
    ):
        with connection.cursor() as cursor:
            cursor.executemany(sql, [(*comment_sentiment(text), pk) for pk, text in batch])
        done, last_id = done + len(batch), batch[-1][0]
        if len(batch) < SENTIMENT_CHUNK:
            break  # that was the last chunk
    return done


# --- Rollups from source rows -------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day_sql() -> tuple[str, tuple]:
    """The day a response counts for (its submission in the site's time zone), as SQL."""
    return connection.ops.datetime_cast_date_sql("r.submitted_at", (), settings.TIME_ZONE)


# Rollup rows are inserted in the order of their (survey, team, day) index: rows a dashboard
# reads together then lie together on disk, and an index filled in order is written faster.
ROLLUP_ORDER = ("survey_id", "team_id", "day")


@dataclass(frozen=True)
class RollupSql:
    """One rollup table's aggregate: INSERT INTO {table} ({columns}) {select}. `select` holds a
    `{day}` placeholder (the day a response counts for, dialect SQL) and the caller's `where`."""

    model: type
    keys: list[str]  # the grain: one row per key
    values: list[str]
    select: str

    @property
    def table(self) -> str:
        return _table(self.model)

    @property
    def columns(self) -> list[str]:
        return [*self.keys, *self.values]

    @property
    def names(self) -> str:
        return f"({', '.join(self.columns)})"

    @property
    def order(self) -> str:
        """ORDER BY for `select` (by position: its day is an unnamed expression) in the order
        of the (survey, team, day) index, ROLLUP_ORDER."""
        return "ORDER BY " + ", ".join(str(self.columns.index(c) + 1) for c in ROLLUP_ORDER)


def _question_rollup_sql(where: str, *, responses: str = "") -> RollupSql:
    """`responses`: the relation the responses are read from (alias r), by default their table."""
    # Conditional counts give the histogram, so no row reaches Python.
    histogram = ", ".join(f"SUM(CASE WHEN a.value_int = {v} THEN 1 ELSE 0 END)" for v in range(11))
    sentiment = ", ".join(
        f"SUM(CASE WHEN a.sentiment_label = '{label}' THEN 1 ELSE 0 END)"
        for label in ("positive", "neutral", "negative")
    )
    # Pair moments against the outcome the survey's PairOutcome names: `o` is the same
    # response's outcome answer, joined only to a scored answer (o.value_int is NULL otherwise).
    paired = "CASE WHEN o.value_int IS NOT NULL THEN a.value_int END"
    pairs = (
        f"COUNT(o.value_int), COALESCE(SUM({paired}), 0), COALESCE(SUM(o.value_int), 0), "
        f"COALESCE(SUM({paired} * a.value_int), 0), COALESCE(SUM(o.value_int * o.value_int), 0), "
        "COALESCE(SUM(a.value_int * o.value_int), 0)"
    )
    scored = ", ".join(f"'{t}'" for t in metrics.SCORED_TYPES)
    return RollupSql(
        model=QuestionRollup,
        keys=["survey_id", "question_id", "team_id", "location_id", "day"],
        values=["n", "total", "total_sq", *HISTOGRAM_FIELDS, "pos", "neu", "neg", *PAIR_FIELDS],
        select=f"""
        SELECT r.survey_id, a.question_id, r.team_id, r.location_id, {{day}},
            COUNT(*), COALESCE(SUM(a.value_int), 0), COALESCE(SUM(a.value_int * a.value_int), 0),
            {histogram}, {sentiment}, {pairs}
        FROM {_table(Answer)} a
        JOIN {responses or _table(Response)} r ON r.id = a.response_id
        JOIN {_table(Question)} q ON q.id = a.question_id
        LEFT JOIN {_table(PairOutcome)} po ON po.survey_id = r.survey_id
        LEFT JOIN {_table(Answer)} o ON o.response_id = a.response_id
            AND o.question_id = po.question_id AND o.value_int IS NOT NULL
            AND a.value_int IS NOT NULL
        WHERE {where}
          AND ((q.type IN ({scored}) AND a.value_int IS NOT NULL)
               OR (q.type = '{QuestionType.TEXT}' AND a.value_text <> ''))
        GROUP BY 1, 2, 3, 4, 5
    """,
    )


def _response_rollup_sql(where: str, *, responses: str = "") -> RollupSql:
    return RollupSql(
        model=ResponseRollup,
        keys=["survey_id", "team_id", "location_id", "day", "cycle_id"],
        values=["responses"],
        select=f"""
        SELECT r.survey_id, r.team_id, r.location_id, {{day}}, r.cycle_id, COUNT(*)
        FROM {responses or _table(Response)} r
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5
    """,
    )


def _rollups_insert(
    where: str, params: list, *, replacing: tuple[str, list] | None = None
) -> tuple[int, int]:
    """Insert both rollup tables for the responses matching `where` (on alias r).
    `replacing` (condition on the tables' own columns, params): delete those rows first, in the
    same transaction (dashboards.rowdiff.delete_then_insert)."""
    day, day_params = _day_sql()
    counts = []
    for rollup in (_question_rollup_sql(where), _response_rollup_sql(where)):
        insert = f"INSERT INTO {rollup.table} {rollup.names} {rollup.select.format(day=day)} "
        insert += rollup.order
        if replacing is None:
            with connection.cursor() as cursor:
                cursor.execute(insert, [*day_params, *params])
                counts.append(cursor.rowcount)
            continue
        condition, condition_params = replacing
        counts.append(
            delete_then_insert(
                table=rollup.table,
                condition=condition,
                params=condition_params,
                insert=insert,
                insert_params=[*day_params, *params],
            )
        )
    return counts[0], counts[1]


def _rollups_replace(*, survey_id: int, since: dt.datetime | None) -> tuple[int, int, int]:
    """Make a survey's rollup rows (those of days from `since` on, when given) equal to the
    aggregate of its source rows; returns (question rows, response rows, rows written).

    PostgreSQL: only the rows that differ are written (dashboards.rowdiff; the aggregate runs
    with parallel workers into a temporary table). Elsewhere: deleted, then inserted whole.
    """
    where, params = "r.survey_id = %s", [survey_id]
    scope, scope_params = "t.survey_id = %s", [survey_id]
    days = {}
    if since is not None:
        first_day = timezone.localtime(since, timezone.get_default_timezone()).date()
        where += " AND r.submitted_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
        scope += " AND t.day >= %s"
        scope_params.append(connection.ops.adapt_datefield_value(first_day))
        days = {"day__gte": first_day}
    rollups = (_question_rollup_sql(where), _response_rollup_sql(where))
    if connection.vendor != "postgresql":
        for rollup in rollups:
            rollup.model.objects.filter(survey_id=survey_id, **days).delete()
        question_rows, response_rows = _rollups_insert(where, params)
        return question_rows, response_rows, question_rows + response_rows
    day, day_params = _day_sql()
    done = [
        rows_replace(
            model=rollup.model,
            keys=rollup.keys,
            values=rollup.values,
            select=rollup.select.format(day=day),
            params=[*day_params, *params],
            scope=scope,
            scope_params=scope_params,
            order=", ".join(ROLLUP_ORDER),
        )
        for rollup in rollups
    ]
    return done[0].rows, done[1].rows, sum(d.deleted + d.inserted for d in done)


def _survey_lock(survey_id: int) -> str:
    return f"tandem:scores:survey:{survey_id}"


def _add_lock(survey_id: int) -> str:
    return f"tandem:scores:add:{survey_id}"


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _locks(*keys: str, shared: str | None = None) -> None:
    """Take transaction-scoped advisory locks (waiting for them): `shared` in shared mode, then
    each of `keys` exclusively, in that order and in one round trip (a SELECT list is evaluated
    left to right). SQLite: the IMMEDIATE transaction already holds the database write lock."""
    if connection.vendor != "postgresql":
        return
    locks = [("pg_advisory_xact_lock", key) for key in keys]
    if shared is not None:
        locks.insert(0, ("pg_advisory_xact_lock_shared", shared))
    calls = ", ".join(f"{function}(%s)" for function, _ in locks)
    with connection.cursor() as cursor:
        rows.execute(cursor, f"SELECT {calls}", [_lock_number(key) for _, key in locks])


def bucket_for(*, survey_id: int, team_id: int | None, submitted_at: dt.datetime) -> Bucket:
    day = timezone.localtime(submitted_at, timezone.get_default_timezone()).date()
    return Bucket(survey_id, team_id, day)


def _bucket_bounds(bucket: Bucket) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(bucket.day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(bucket.day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _purged_before(*, survey_id: int) -> dt.datetime | None:
    """The organisation's retention watermark: source rows before it were purged on purpose."""
    # Hand-written (config.rows): every scoring transaction asks.
    organization = rows.one_with(
        Organization,
        (),
        f"x.id = (SELECT organization_id FROM {_table(Survey)} WHERE id = %s)",
        [survey_id],
    )
    return organization.purged_before if organization is not None else None


def _bucket_responses(bucket: Bucket):
    """The bucket's stored responses (team_id=None filters IS NULL: those without a team)."""
    start, end = _bucket_bounds(bucket)
    return Response.objects.filter(
        survey_id=bucket.survey_id,
        team_id=bucket.team_id,
        submitted_at__gte=start,
        submitted_at__lt=end,
    )


def bucket_recompute(bucket: Bucket, *, sentiment_for: list[int] | None = None) -> dict:
    """Replace the bucket's rollup rows with what its stored responses say. Call inside atomic().

    1. Lock the bucket (and the survey, shared, against a concurrent rebuild; its add lock,
       against a scoring task adding to these rows), and mark its responses counted.
    2. Give its comments that lack one a sentiment score (only those of the responses
       `sentiment_for` when given: the scoring task's, as every other scored response of the
       bucket got its scores when it was marked, and an unscored one gets them from its task).
    3. DELETE the bucket's rollup rows, then INSERT ... SELECT them from the source rows.
    4. Re-sum its team's month rows from the day rows (dashboards.monthly).
    """
    # Survey (shared), its adds, then month, then bucket: a transaction recomputing several
    # buckets (an erasure) takes them in the same order as everyone else.
    _locks(
        _add_lock(bucket.survey_id),
        f"tandem:scores:month:{bucket.survey_id}:{bucket.team_id}:{bucket.day:%Y-%m}",
        f"tandem:scores:bucket:{bucket.survey_id}:{bucket.team_id}:{bucket.day}",
        shared=_survey_lock(bucket.survey_id),
    )
    start, end = _bucket_bounds(bucket)
    # Every stored response of the bucket is in what follows: none may be added again.
    _bucket_responses(bucket).filter(counted=False).update(counted=True)
    purged_before = _purged_before(survey_id=bucket.survey_id)
    if purged_before is not None and start < purged_before:
        # Retention deleted this day's source rows; its rollups are all that is left of it.
        return {"sentiment": 0, "question_rows": 0, "response_rows": 0, "purged": True}
    if sentiment_for is not None:
        answers = Answer.objects.filter(response_id__in=sentiment_for)
    else:
        answers = Answer.objects.filter(response__in=_bucket_responses(bucket))
    sentiments = sentiment_fill(answers=answers)
    team_sql = "r.team_id IS NULL" if bucket.team_id is None else "r.team_id = %s"
    team_params = [] if bucket.team_id is None else [bucket.team_id]
    adapt = connection.ops.adapt_datetimefield_value
    # The bucket's rows are deleted and inserted again in one statement per table.
    bucket_rows = (
        f"survey_id = %s AND {team_sql.removeprefix('r.')} AND day = %s",
        [bucket.survey_id, *team_params, connection.ops.adapt_datefield_value(bucket.day)],
    )
    question_rows, response_rows = _rollups_insert(
        f"r.survey_id = %s AND {team_sql} AND r.submitted_at >= %s AND r.submitted_at < %s",
        [bucket.survey_id, *team_params, adapt(start), adapt(end)],
        replacing=bucket_rows,
    )
    month_refresh(survey_id=bucket.survey_id, team_id=bucket.team_id, day=bucket.day)
    return {"sentiment": sentiments, "question_rows": question_rows, "response_rows": response_rows}


# --- Alerts hook --------------------------------------------------------------------------------


def _alerts_evaluate_many(
    *, survey_id: int, response_ids: list[int], also: Callable[[], list[int]] | None = None
) -> None:
    """`_alerts_evaluate` for each response (each once), after one check that the survey has
    any alert rule or new-response webhook at all (most have none: then one query in all).
    `also` lists more responses, asked only when there is something to evaluate."""
    if not response_ids or not survey_has_listeners(survey_id=survey_id):
        return
    ids = list(dict.fromkeys([*response_ids, *(also() if also else [])]))
    for response_id in ids:
        _alerts_evaluate(survey_id=survey_id, response_id=response_id)


def _alerts_evaluate(*, survey_id: int, response_id: int) -> None:
    """Alert evaluation after scoring, then the opt-in new-response webhooks (dashboards.alerting)."""
    alert_rules_evaluate(survey_id=survey_id, response_id=response_id)
    response_webhooks_queue(response_id=response_id)


# --- Services -----------------------------------------------------------------------------------


def response_score(
    *, response_id: int, gather: float = 0.0, survey_id: int | None = None
) -> dict | None:
    """Score one stored response; idempotent. Coalesces: one task scores its survey's backlog.

    0. With `gather` (seconds; the worker's task passes TANDEM_SCORING_GATHER_MS), wait until the
       response is that old: while the survey's queue flag is held, responses arriving meanwhile
       queue no task and join this one's batch (under load, fewer and larger transactions, and
       fewer tasks published by the web processes). A task that waited in the queue that long
       already does not wait. It waits even when its response was scored meanwhile: the web
       process that published it counts on no listing before then (dashboards.queueing.covered).
    1. The survey's queue flag is released (dashboards.queueing: a response stored from now on
       queues its own task; one stored before is listed below).
    2. The survey's unscored responses (at most COALESCE_LIMIT, this one included) are listed
       *before* they are scored, so each of them was committed. None left (this one was scored
       by a task for another response): nothing is written, and the alert rules of the
       responses marked with it run again (idempotent), in case the task that marked them
       stopped between its commit and their alerts.
    3. Else, in one transaction: sentiment for their comments, their counts added to the
       rollups (those not counted yet), scored_at set on them by compare-and-set (responses_score).
    4. Then the alert rules of every response this call marked, and of its own (after commit, so
       they read the new rollups).
    Under load a survey's responses then cost one task and one transaction, not one each.
    A response deleted since it was stored (an erasure) still leaves its task the survey's
    flag to release and backlog to score, when the task knows the survey (`survey_id`): the
    submissions that found the flag held queued nothing, counting on it.
    Returns what was done, or None when the response no longer exists and its survey is not
    given (a message queued before tasks carried it).
    """
    response = rows.one_with(Response, (), "x.id = %s", [response_id])
    if response is None and survey_id is None:
        return None
    scored_at = None
    if response is not None:
        survey_id, scored_at = response.survey_id, response.scored_at
        if gather > 0:  # even when another task scored it: web processes count on this wait
            age = (timezone.now() - response.submitted_at).total_seconds()
            time.sleep(min(gather, max(0.0, gather - age)))
    queueing.release(survey_id)
    ids = _survey_unscored(survey_id)
    if response is not None and scored_at is None and response_id not in ids:
        ids.append(response_id)  # past the limit: still this task's own
    together = partial(_marked_together, survey_id, scored_at) if scored_at is not None else None
    marked = responses_score(survey_id=survey_id, ids=ids) if ids else []
    own = [response_id] if response is not None else []
    _alerts_evaluate_many(survey_id=survey_id, response_ids=[*own, *marked], also=together)
    return {
        "survey": survey_id,
        "newly_scored": response_id in marked,
        "responses_marked": len(marked),
        # A full batch: more may wait, stored while the flag was held (their submissions queued
        # nothing). The task queues the next batch (dashboards.tasks) rather than leave them
        # to the reconcile task when submissions stop.
        "backlog_next": _survey_unscored(survey_id, limit=1) if len(ids) >= COALESCE_LIMIT else [],
    }


def _marked_together(survey_id: int, scored_at: dt.datetime) -> list[int]:
    """The survey's responses marked in the same UPDATE as one marked at `scored_at`."""
    return list(
        Response.objects.filter(survey_id=survey_id, scored_at=scored_at)
        .order_by("id")
        .values_list("id", flat=True)[:COALESCE_LIMIT]
    )


def _survey_unscored(survey_id: int, *, limit: int | None = None) -> list[int]:
    """Ids of the survey's unscored responses, oldest first (committed ones: listed before they
    are scored, so the scoring counts them)."""
    with connection.cursor() as cursor:  # hand-written: one of every task's few queries
        rows.execute(
            cursor,
            f"SELECT id FROM {_table(Response)} WHERE survey_id = %s AND scored_at IS NULL "
            "ORDER BY id LIMIT %s",
            [survey_id, COALESCE_LIMIT if limit is None else limit],
        )
        return [row[0] for row in cursor.fetchall()]


def scores_reconcile(
    *,
    older_than_seconds: int = RECONCILE_AFTER_SECONDS,
    batch_size: int = 500,
    budget_seconds: float = 60,
) -> dict:
    """Score responses still unscored a while after submission (e.g. the broker was down).

    1. One reconcile at a time (a session advisory lock on PostgreSQL); another returns at once.
    2. Unscored responses older than `older_than_seconds`, oldest first (response_unscored_idx),
       in batches; each batch grouped by survey and scored like a task's (responses_score).
    3. Alerts for the responses this run marked scored (one its own task scored meanwhile got
       them from that task).
    Starts no new batch after `budget_seconds` (under the beat interval); the next run carries on.
    """
    done = {"responses": 0, "surveys": 0}
    with _single_run("tandem:scores:reconcile") as acquired:
        if not acquired:
            return {**done, "skipped": True}
        started = time.monotonic()
        cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
        unscored = Response.objects.filter(scored_at__isnull=True, submitted_at__lt=cutoff)
        while time.monotonic() - started < budget_seconds:
            batch = list(unscored.order_by("submitted_at").values("id", "survey_id")[:batch_size])
            if not batch:
                break
            by_survey: dict[int, list[int]] = defaultdict(list)
            for row in batch:
                by_survey[row["survey_id"]].append(row["id"])
            for survey_id, ids in by_survey.items():
                marked = responses_score(survey_id=survey_id, ids=ids)
                _alerts_evaluate_many(survey_id=survey_id, response_ids=marked)
            done["responses"] += len(batch)
            done["surveys"] += len(by_survey)
    return done


def pairs_reconcile(*, budget_seconds: float = 60) -> list[int]:
    """Rebuild the surveys whose rollups' pair moments are against another question than
    their outcome (dashboards.pairs: a change whose queued rebuild was lost, or rollups from
    before pairs existed); one run at a time, no new rebuild after `budget_seconds`."""
    rebuilt: list[int] = []
    with _single_run("tandem:scores:pairs") as acquired:
        if not acquired:
            return rebuilt
        started = time.monotonic()
        for survey_id in pairs.stale_surveys():
            if time.monotonic() - started > budget_seconds:
                break
            survey_rebuild(survey_id=survey_id)
            rebuilt.append(survey_id)
    return rebuilt


def counts_addable() -> bool:
    """Whether scoring adds counts to the rollups: their grain is a unique key (PostgreSQL 15+,
    migration dashboards 0007). Elsewhere it recomputes the responses' buckets."""
    return (
        connection.vendor == "postgresql"
        and connection.features.supports_nulls_distinct_unique_constraints
    )


def responses_score(*, survey_id: int, ids: list[int]) -> list[int]:
    """Bring the survey's responses `ids` into the rollups and mark them scored, in one
    transaction; returns the ids this call marked (compare-and-set on scored_at).

    `ids` must have been committed before the call. Adding (counts_addable): sentiment for their
    comments, then the counts of those not counted yet added (`_counts_add`). Elsewhere: each of
    their buckets recomputed (which counts them).
    """
    if not counts_addable():
        buckets: dict[Bucket, list[int]] = defaultdict(list)
        fields = ("survey_id", "team_id", "submitted_at")
        for row in Response.objects.filter(id__in=ids).values("id", *fields):
            buckets[bucket_for(**{k: row[k] for k in fields})].append(row["id"])
        with transaction.atomic():
            for bucket in sorted(buckets, key=lambda b: (b.team_id or 0, b.day)):
                bucket_recompute(bucket, sentiment_for=buckets[bucket])
            results_scored(survey_id=survey_id)
            return _mark_scored(ids)
    with transaction.atomic():
        _locks(_add_lock(survey_id), shared=_survey_lock(survey_id))
        sentiment_fill(answers=Answer.objects.filter(response_id__in=ids))
        _counts_add(survey_id=survey_id, ids=ids)
        results_scored(survey_id=survey_id)  # kept dashboards are computed again
        return _mark_scored(ids)


def _counts_add(*, survey_id: int, ids: list[int]) -> int:
    """Mark those of `ids` not counted yet as counted and add their counts to the day and month
    rollups, all in one statement; returns how many were counted now. The caller holds the
    survey's add lock in its transaction, and their comments have their sentiment.

    A response of a day before the retention watermark is marked but not added: that day's
    rollups are all that is left of it and a rebuild keeps them as they are.
    """
    day, day_params = _day_sql()
    month = f"(date_trunc('month', {day}))::date"
    purged_before = _purged_before(survey_id=survey_id)
    where, where_params = "TRUE", []
    if purged_before is not None:
        where, where_params = "r.submitted_at >= %s", [purged_before]
    counted = (
        f"UPDATE {_table(Response)} SET counted = TRUE WHERE id = ANY(%s) AND NOT counted "
        "RETURNING id, survey_id, team_id, location_id, cycle_id, submitted_at"
    )
    parts, params = [f"counted AS ({counted})"], [list(ids)]
    rollups = (
        _question_rollup_sql(where, responses="counted"),
        _response_rollup_sql(where, responses="counted"),
    )
    for n, rollup in enumerate(rollups):
        month_model, _, _ = MONTH_TABLES[rollup.model]
        for model, unit, unit_sql, unit_params in (
            (rollup.model, "day", day, day_params),
            (month_model, "month", month, day_params),
        ):
            keys = [unit if key == "day" else key for key in rollup.keys]
            add = ", ".join(f"{v} = t.{v} + EXCLUDED.{v}" for v in rollup.values)
            parts.append(
                f"add_{n}_{unit} AS (INSERT INTO {_table(model)} AS t "
                f"({', '.join([*keys, *rollup.values])}) {rollup.select.format(day=unit_sql)} "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {add})"
            )
            params += [*unit_params, *where_params]
    with connection.cursor() as cursor:
        rows.execute(cursor, f"WITH {', '.join(parts)} SELECT COUNT(*) FROM counted", params)
        return cursor.fetchone()[0]


def _mark_scored(ids: list[int]) -> list[int]:
    """Set scored_at on those of `ids` that have none (compare-and-set); returns them.
    PostgreSQL: one UPDATE ... RETURNING; elsewhere a SELECT, then the UPDATE."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            rows.execute(
                cursor,
                f"UPDATE {_table(Response)} SET scored_at = %s "
                "WHERE id = ANY(%s) AND scored_at IS NULL RETURNING id",
                [now, list(ids)],
            )
            return sorted(row[0] for row in cursor.fetchall())
    unscored = Response.objects.filter(id__in=ids, scored_at__isnull=True)
    marked = list(unscored.values_list("id", flat=True))
    if marked:
        Response.objects.filter(id__in=marked).update(scored_at=now)
    return sorted(marked)


@contextmanager
def _single_run(key: str):
    """Yield whether this process holds `key` (always True off PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_number(key)])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_number(key)])


def rebuild_settings() -> None:
    """Settings for a rebuild's transaction (PostgreSQL; the worker's own memory is unaffected):

    - work_mem 64 MB: a rebuild groups a whole survey's answers at once; with the default 4 MB
      the hash aggregate spills to disk (a third slower at a million answers).
    - no JIT: compiling each statement's expressions cost ~180 ms a statement here, more than
      it saved on a few hundred thousand rows.
    - no merge joins: comparing computed rows with stored ones (dashboards.rowdiff) on two
      dozen columns, the planner picks a merge join that sorts both sides on all of them (2.5 s
      for 270,000 rows); a hash join takes a third of that.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL enable_mergejoin = off"
            )


def survey_rebuild(*, survey_id: int) -> dict:
    """Recompute one survey's rollups from scratch: one INSERT ... SELECT per table.

    scored_at is left alone, so responses still waiting for their task keep their alert run;
    they are marked counted, so that task does not add them again.
    """
    started = time.monotonic()
    sentiments = sentiment_fill(answers=Answer.objects.filter(response__survey_id=survey_id))
    purged_before = _purged_before(survey_id=survey_id)
    with transaction.atomic():
        _locks(_survey_lock(survey_id))
        rebuild_settings()
        pairs.outcome_set(survey_id=survey_id, purged_before=purged_before)
        # Days before the retention watermark (always a day boundary) have no source rows any
        # more: their rollups are kept, and only the days from the watermark on are rebuilt.
        question_rows, response_rows, written = _rollups_replace(
            survey_id=survey_id, since=purged_before
        )
        written += months_rebuild(survey_id=survey_id)
        # Every stored response is in the rollups now: a scoring task must not add it again.
        Response.objects.filter(survey_id=survey_id, counted=False).update(counted=True)
        results_scored(survey_id=survey_id)
    return {
        "survey": survey_id,
        "responses": Response.objects.filter(survey_id=survey_id).count(),
        "sentiment": sentiments,
        "question_rows": question_rows,
        "response_rows": response_rows,
        "rows_written": written,
        "seconds": round(time.monotonic() - started, 2),
    }


def scores_rebuild(
    *, survey_id: int | None = None, progress: Callable[[dict], None] | None = None
) -> dict:
    """Rebuild one survey's rollups, or every survey's; `progress` gets each survey's summary."""
    surveys = Survey.objects.order_by("id")
    if survey_id is not None:
        surveys = surveys.filter(id=survey_id)
    totals = {"surveys": 0, "responses": 0, "sentiment": 0, "question_rows": 0, "response_rows": 0}
    for survey in surveys.values_list("id", flat=True):
        summary = survey_rebuild(survey_id=survey)
        if progress is not None:
            progress(summary)
        totals["surveys"] += 1
        for key in ("responses", "sentiment", "question_rows", "response_rows"):
            totals[key] += summary[key]
    return totals
