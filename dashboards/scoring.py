"""Scoring services: comment sentiment, and rollups recomputed from the source rows.

A bucket is (survey, team, day). Scoring a response recomputes its whole bucket from the stored
responses and answers with one INSERT ... SELECT per rollup table (never `+= 1`), so running it
twice, concurrently, or after a crash gives the same rows, and `scores_rebuild` (the same SELECT
over a whole survey) gives exactly what the incremental path gives. Nothing is loaded into Python
except the text of comments that still need a sentiment score, in chunks.

Locks (PostgreSQL advisory locks, held until the transaction ends): a bucket recompute takes the
survey's lock shared and the bucket's lock exclusive; a rebuild takes the survey's lock exclusive.
So two workers never interleave DELETE and INSERT on the same rows. On SQLite the transaction
already holds the database write lock (settings use BEGIN IMMEDIATE).
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
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dashboards import metrics, queueing
from dashboards.alerting.services import (
    alert_rules_evaluate,
    response_webhooks_queue,
    survey_has_listeners,
)
from dashboards.models import HISTOGRAM_FIELDS, QuestionRollup, ResponseRollup
from dashboards.monthly import month_refresh, months_rebuild
from dashboards.rowdiff import delete_then_insert, rows_replace
from responses.models import Answer, Response
from surveys.models import Question, QuestionType, Survey

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


def _question_rollup_sql(where: str) -> RollupSql:
    # Conditional counts give the histogram, so no row reaches Python.
    histogram = ", ".join(f"SUM(CASE WHEN a.value_int = {v} THEN 1 ELSE 0 END)" for v in range(11))
    sentiment = ", ".join(
        f"SUM(CASE WHEN a.sentiment_label = '{label}' THEN 1 ELSE 0 END)"
        for label in ("positive", "neutral", "negative")
    )
    scored = ", ".join(f"'{t}'" for t in metrics.SCORED_TYPES)
    return RollupSql(
        model=QuestionRollup,
        keys=["survey_id", "question_id", "team_id", "location_id", "day"],
        values=["n", "total", "total_sq", *HISTOGRAM_FIELDS, "pos", "neu", "neg"],
        select=f"""
        SELECT r.survey_id, a.question_id, r.team_id, r.location_id, {{day}},
            COUNT(*), COALESCE(SUM(a.value_int), 0), COALESCE(SUM(a.value_int * a.value_int), 0),
            {histogram}, {sentiment}
        FROM {_table(Answer)} a
        JOIN {_table(Response)} r ON r.id = a.response_id
        JOIN {_table(Question)} q ON q.id = a.question_id
        WHERE {where}
          AND ((q.type IN ({scored}) AND a.value_int IS NOT NULL)
               OR (q.type = '{QuestionType.TEXT}' AND a.value_text <> ''))
        GROUP BY 1, 2, 3, 4, 5
    """,
    )


def _response_rollup_sql(where: str) -> RollupSql:
    return RollupSql(
        model=ResponseRollup,
        keys=["survey_id", "team_id", "location_id", "day", "cycle_id"],
        values=["responses"],
        select=f"""
        SELECT r.survey_id, r.team_id, r.location_id, {{day}}, r.cycle_id, COUNT(*)
        FROM {_table(Response)} r
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5
    """,
    )


def _rollups_insert(
    where: str, params: list, *, replacing: tuple[str, list] | None = None
) -> tuple[int, int]:
    """Insert both rollup tables for the responses matching `where` (on alias r).
    `replacing` (condition on the tables' own columns, params): delete those rows first, in the
    same statement on PostgreSQL (dashboards.rowdiff.delete_then_insert)."""
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
        cursor.execute(f"SELECT {calls}", [_lock_number(key) for _, key in locks])


def bucket_for(*, survey_id: int, team_id: int | None, submitted_at: dt.datetime) -> Bucket:
    day = timezone.localtime(submitted_at, timezone.get_default_timezone()).date()
    return Bucket(survey_id, team_id, day)


def _bucket_bounds(bucket: Bucket) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(bucket.day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(bucket.day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _purged_before(*, survey_id: int) -> dt.datetime | None:
    """The organisation's retention watermark: source rows before it were purged on purpose."""
    return (
        Survey.objects.filter(id=survey_id)
        .values_list("organization__purged_before", flat=True)
        .first()
    )


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

    1. Lock the bucket (and the survey, shared, against a concurrent rebuild).
    2. Give its comments that lack one a sentiment score (only those of the responses
       `sentiment_for` when given: the scoring task's, as every other scored response of the
       bucket got its scores when it was marked, and an unscored one gets them from its task).
    3. DELETE the bucket's rollup rows, then INSERT ... SELECT them from the source rows.
    4. Re-sum its team's month rows from the day rows (dashboards.monthly).
    """
    # Survey (shared), then month, then bucket: a transaction recomputing several buckets (an
    # erasure) takes month then bucket locks in the same order as everyone else.
    _locks(
        f"tandem:scores:month:{bucket.survey_id}:{bucket.team_id}:{bucket.day:%Y-%m}",
        f"tandem:scores:bucket:{bucket.survey_id}:{bucket.team_id}:{bucket.day}",
        shared=f"tandem:scores:survey:{bucket.survey_id}",
    )
    start, end = _bucket_bounds(bucket)
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


def _alerts_evaluate_many(*, survey_id: int, response_ids: list[int]) -> None:
    """`_alerts_evaluate` for each response (each once), after one check that the survey has
    any alert rule or new-response webhook at all (most have none: then one query in all)."""
    ids = list(dict.fromkeys(response_ids))
    if not ids or not survey_has_listeners(survey_id=survey_id):
        return
    for response_id in ids:
        _alerts_evaluate(survey_id=survey_id, response_id=response_id)


def _alerts_evaluate(*, survey_id: int, response_id: int) -> None:
    """Alert evaluation after scoring, then the opt-in new-response webhooks (dashboards.alerting)."""
    alert_rules_evaluate(survey_id=survey_id, response_id=response_id)
    response_webhooks_queue(response_id=response_id)


# --- Services -----------------------------------------------------------------------------------


def response_score(*, response_id: int) -> dict | None:
    """Score one stored response; idempotent. Coalesces: one recompute scores its whole bucket.

    1. The bucket's queue flag is released first (dashboards.queueing: a response stored from
       now on queues its own task; one stored before is listed below).
    2. The bucket's unscored responses (at most COALESCE_LIMIT, this one included) are listed
       *before* the recompute, so each of them is in the rollups it writes. None left (this one
       was counted by a task for another response of the bucket): nothing is recomputed, and
       the alert rules of the responses marked with it run again (idempotent), in case the
       task that marked them stopped between its commit and their alerts.
    3. Else sentiment for their comments and the bucket's rollups recomputed (bucket_recompute);
       scored_at set on the listed ones by compare-and-set, in the same transaction.
    4. Then the alert rules of every response this call marked, and of its own (after commit, so
       they read the new rollups).
    Under load a bucket's responses then cost one task and one recompute, not one each.
    Returns what was done, or None when the response no longer exists.
    """
    row = (
        Response.objects.filter(id=response_id)
        .values("survey_id", "team_id", "submitted_at", "scored_at")
        .first()
    )
    if row is None:
        return None
    scored_at = row.pop("scored_at")
    bucket = bucket_for(**row)
    queueing.release(bucket)
    ids = _bucket_unscored(bucket)
    if scored_at is None and response_id not in ids:
        ids.append(response_id)  # past the limit: still this task's own
    together = _marked_together(bucket, scored_at) if scored_at is not None else []
    if not ids:
        _alerts_evaluate_many(survey_id=bucket.survey_id, response_ids=[response_id, *together])
        return {"bucket": str(bucket), "newly_scored": False, "recomputed": False}
    marked = _bucket_reconcile(bucket, ids)
    _alerts_evaluate_many(
        survey_id=bucket.survey_id, response_ids=[response_id, *marked, *together]
    )
    return {
        "bucket": str(bucket),
        "newly_scored": response_id in marked,
        "recomputed": True,
        "responses_marked": len(marked),
    }


def _marked_together(bucket: Bucket, scored_at: dt.datetime) -> list[int]:
    """The bucket's responses marked in the same UPDATE as one marked at `scored_at`."""
    return list(
        _bucket_responses(bucket)
        .filter(scored_at=scored_at)
        .order_by("id")
        .values_list("id", flat=True)[:COALESCE_LIMIT]
    )


def _bucket_unscored(bucket: Bucket) -> list[int]:
    """Ids of the bucket's unscored responses, oldest first (committed ones: read before the
    recompute, so it counts them)."""
    return list(
        _bucket_responses(bucket)
        .filter(scored_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:COALESCE_LIMIT]
    )


def scores_reconcile(
    *,
    older_than_seconds: int = RECONCILE_AFTER_SECONDS,
    batch_size: int = 500,
    budget_seconds: float = 60,
) -> dict:
    """Score responses still unscored a while after submission (e.g. the broker was down).

    1. One reconcile at a time (a session advisory lock on PostgreSQL); another returns at once.
    2. Unscored responses older than `older_than_seconds`, oldest first (response_unscored_idx),
       in batches; each batch grouped by bucket so a bucket is recomputed once.
    3. Alerts for the responses this run marked scored (one its own task scored meanwhile got
       them from that task).
    Starts no new batch after `budget_seconds` (under the beat interval); the next run carries on.
    """
    done = {"responses": 0, "buckets": 0}
    with _single_run("tandem:scores:reconcile") as acquired:
        if not acquired:
            return {**done, "skipped": True}
        started = time.monotonic()
        cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
        unscored = Response.objects.filter(scored_at__isnull=True, submitted_at__lt=cutoff)
        fields = ("id", "survey_id", "team_id", "submitted_at")
        while time.monotonic() - started < budget_seconds:
            batch = list(unscored.order_by("submitted_at").values(*fields)[:batch_size])
            if not batch:
                break
            by_bucket: dict[Bucket, list[int]] = defaultdict(list)
            for row in batch:
                by_bucket[bucket_for(**{k: row[k] for k in fields[1:]})].append(row["id"])
            for bucket, ids in by_bucket.items():
                marked = _bucket_reconcile(bucket, ids)
                _alerts_evaluate_many(survey_id=bucket.survey_id, response_ids=marked)
            done["responses"] += len(batch)
            done["buckets"] += len(by_bucket)
    return done


def _bucket_reconcile(bucket: Bucket, ids: list[int]) -> list[int]:
    """Recompute the bucket and mark `ids` scored; returns the ids this call marked.

    `ids` must have been committed before the call (the recompute then counts them)."""
    with transaction.atomic():
        bucket_recompute(bucket, sentiment_for=ids)
        # The bucket lock is held, and every writer of these rows' scored_at takes it first.
        marked = _mark_scored(ids)
    return marked


def _mark_scored(ids: list[int]) -> list[int]:
    """Set scored_at on those of `ids` that have none (compare-and-set); returns them.
    PostgreSQL: one UPDATE ... RETURNING; elsewhere a SELECT, then the UPDATE."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_table(Response)} SET scored_at = %s "
                "WHERE id = ANY(%s) AND scored_at IS NULL RETURNING id",
                [now, list(ids)],
            )
            return sorted(row[0] for row in cursor.fetchall())
    unscored = Response.objects.filter(id__in=ids, scored_at__isnull=True)
    marked = list(unscored.values_list("id", flat=True))
    if marked:
        Response.objects.filter(id__in=marked).update(scored_at=now)
    return marked


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

    scored_at is left alone, so responses still waiting for their task keep their alert run.
    """
    started = time.monotonic()
    sentiments = sentiment_fill(answers=Answer.objects.filter(response__survey_id=survey_id))
    purged_before = _purged_before(survey_id=survey_id)
    with transaction.atomic():
        _locks(f"tandem:scores:survey:{survey_id}")
        rebuild_settings()
        # Days before the retention watermark (always a day boundary) have no source rows any
        # more: their rollups are kept, and only the days from the watermark on are rebuilt.
        question_rows, response_rows, written = _rollups_replace(
            survey_id=survey_id, since=purged_before
        )
        written += months_rebuild(survey_id=survey_id)
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
