"""Month rollups: the day rollups summed per calendar month, kept equal to them, and read back.

Why: at a million answers a team has a handful of answers a day, so (team, day) rows merge
little; a six-month dashboard summed ~200,000 day rows per query. A month row merges ~30 days.

Writes (called by dashboards.scoring, inside its transaction and locks):
    month_refresh(bucket)       re-sums the bucket's team and month from its day rows
    months_rebuild(survey_id)   re-sums every month of a survey (after a rebuild)
Month rows are always computed from day rows, never from answers: so they follow whatever the
day rows hold (purged days included) and stay exactly their sum.

Reads: `rollup_sums` answers a SUM over day rows in a date range by reading month rows for the
months the range covers whole, and day rows only for the partial months at its ends. A partial
month counts as whole when the survey has no day row outside the range in that month (e.g. a
range ending today), so the usual "last six months" reads month rows only.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.db.models import Exists, Model, Q, Sum

from dashboards.models import (
    HISTOGRAM_FIELDS,
    PAIR_FIELDS,
    QuestionRollup,
    QuestionRollupMonth,
    ResponseRollup,
    ResponseRollupMonth,
)
from dashboards.reads import shared
from dashboards.rowdiff import delete_then_insert, rows_replace
from surveys.models import Survey

QUESTION_COUNTS = ["n", "total", "total_sq", *HISTOGRAM_FIELDS, "pos", "neu", "neg", *PAIR_FIELDS]
# day model -> (month model, key columns, summed columns)
TABLES: dict[type[Model], tuple[type[Model], list[str], list[str]]] = {
    QuestionRollup: (
        QuestionRollupMonth,
        ["survey_id", "question_id", "team_id", "location_id"],
        QUESTION_COUNTS,
    ),
    ResponseRollup: (
        ResponseRollupMonth,
        ["survey_id", "team_id", "location_id", "cycle_id"],
        ["responses"],
    ),
}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The month's last day (unlike next_month - 1 day, defined in December 9999 too)."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sums_select(day_model, *, month_sql: str, where: str, group_month: bool) -> str:
    """SELECT of month rows (in `_columns` order) from day rows; GROUP BY by position, so the
    month expression (and its parameters) is written once."""
    _, keys, counts = TABLES[day_model]
    sums = ", ".join(f"SUM({c})" for c in counts)
    positions = ", ".join(str(i) for i in range(1, len(keys) + 1 + group_month))
    return (
        f"SELECT {', '.join(keys)}, {month_sql}, {sums} FROM {_table(day_model)} "
        f"WHERE {where} GROUP BY {positions}"
    )


def _columns(day_model) -> list[str]:
    _, keys, counts = TABLES[day_model]
    return [*keys, "month", *counts]


def _insert_sql(day_model, *, month_sql: str, where: str, group_month: bool) -> str:
    """INSERT ... SELECT of month rows from day rows."""
    month_model = TABLES[day_model][0]
    select = _sums_select(day_model, month_sql=month_sql, where=where, group_month=group_month)
    return f"INSERT INTO {_table(month_model)} ({', '.join(_columns(day_model))}) {select}"


def _date_param() -> str:
    # In a SELECT list an untyped literal is text to PostgreSQL, which a date column refuses.
    return "%s::date" if connection.vendor == "postgresql" else "%s"


def month_refresh(*, survey_id: int, team_id: int | None, day: dt.date) -> None:
    """Replace the month rows of (survey, team, the month of `day`) by the sum of its day rows.

    The caller holds the month's lock (dashboards.scoring.bucket_recompute) and is in a
    transaction, so concurrent refreshes of one month never interleave.
    """
    first = month_start(day)
    team_sql = "team_id IS NULL" if team_id is None else "team_id = %s"
    team_params = [] if team_id is None else [team_id]
    adapt = connection.ops.adapt_datefield_value
    where = f"survey_id = %s AND {team_sql} AND day >= %s AND day < %s"
    for day_model, (month_model, _, _) in TABLES.items():
        # The month's rows deleted and summed again.
        delete_then_insert(
            table=_table(month_model),
            condition=f"survey_id = %s AND {team_sql} AND month = %s",
            params=[survey_id, *team_params, adapt(first)],
            insert=_insert_sql(day_model, month_sql=_date_param(), where=where, group_month=False),
            insert_params=[first, survey_id, *team_params, adapt(first), adapt(next_month(first))],
        )


def months_rebuild(*, survey_id: int) -> int:
    """Make every month row of a survey the sum of its day rows; returns rows written.
    The caller holds the survey's exclusive lock (dashboards.scoring.survey_rebuild).

    PostgreSQL writes only the month rows that differ (dashboards.rowdiff); elsewhere they are
    deleted and inserted whole."""
    month_sql, month_params = connection.ops.date_trunc_sql("month", "day", ())
    if connection.vendor == "postgresql":
        month_sql = f"({month_sql})::date"
    written = 0
    for day_model, (month_model, keys, counts) in TABLES.items():
        if connection.vendor == "postgresql":
            done = rows_replace(
                model=month_model,
                keys=[*keys, "month"],
                values=counts,
                select=_sums_select(
                    day_model, month_sql=month_sql, where="survey_id = %s", group_month=True
                ),
                params=[*month_params, survey_id],
                scope="t.survey_id = %s",
                scope_params=[survey_id],
                order="survey_id, team_id, month",  # the (survey, team, month) index's order
            )
            written += done.deleted + done.inserted
            continue
        month_model.objects.filter(survey_id=survey_id).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                _insert_sql(
                    day_model, month_sql=month_sql, where="survey_id = %s", group_month=True
                ),
                [*month_params, survey_id],
            )
            written += cursor.rowcount
    return written


# --- Reading ------------------------------------------------------------------------------------


def _partial(*, survey_id: int, **spans: tuple[dt.date, dt.date] | None) -> dict[str, bool]:
    """For each named span of days (low, high), whether the survey has day rows in it: one
    query of EXISTS subqueries (each a step in the (survey, day) index). None: not asked."""
    asked = {
        name: Exists(
            ResponseRollup.objects.filter(survey_id=survey_id, day__gte=span[0], day__lte=span[1])
        )
        for name, span in spans.items()
        if span is not None
    }
    found = Survey.objects.filter(pk=survey_id).values(**asked).first() if asked else None
    return {name: bool(found and found.get(name)) for name in spans}


def _plan(*, survey_id: int, start: dt.date | None, end: dt.date | None) -> tuple[Q, Q | None]:
    """(condition on month rows, condition on day rows or None) covering days start..end.

    The range's first (last) month is partial when the survey has day rows in it before `start`
    (after `end`): its days in the range are read from day rows; every other month from month
    rows. Both checks use the (survey, day) index, in one query that a page's rollup reads
    share (dashboards.reads: the EX page asked it nine times).
    """
    return shared(
        ("rollup plan", survey_id, start, end),
        lambda: _plan_read(survey_id=survey_id, start=start, end=end),
    )


def _plan_read(*, survey_id: int, start: dt.date | None, end: dt.date | None) -> tuple[Q, Q | None]:
    one_day = dt.timedelta(days=1)
    # month_end, not next_month: a filter may name any date, 9999-12-31 included.
    outside = _partial(
        survey_id=survey_id,
        head=(month_start(start), start - one_day) if start and start.day != 1 else None,
        tail=(end + one_day, month_end(end)) if end and end != month_end(end) else None,
    )
    head, tail = outside["head"], outside["tail"]
    if (head or tail) and start is not None and end is not None:
        if month_start(start) == month_start(end):
            return Q(pk__in=[]), Q(day__gte=start, day__lte=end)
    months, days = Q(), Q(pk__in=[])
    if start is not None:
        months &= Q(month__gt=start) if head else Q(month__gte=month_start(start))
    if end is not None:
        months &= Q(month__lt=month_start(end)) if tail else Q(month__lte=month_start(end))
    if head:
        days |= Q(day__gte=start, day__lte=month_end(start))
    if tail:
        days |= Q(day__gte=month_start(end), day__lte=end)
    return months, (days if head or tail else None)


def _merged(rows: list[tuple], keyed: int) -> list[tuple]:
    """Rows with equal keys (their first `keyed` columns) added together (the rest are sums:
    ints, or lists of ints added element by element)."""
    merged: dict[tuple, tuple] = {}
    for row in rows:
        key = row[:keyed]
        kept = merged.get(key)
        if kept is None:
            merged[key] = row
            continue
        merged[key] = (
            key
            + tuple(
                [a + b for a, b in zip(old, new, strict=True)]
                if isinstance(old, list)
                else (old or 0) + (new or 0)  # a SUM is NULL over no rows
                for old, new in zip(kept[keyed:], row[keyed:], strict=True)
            )
        )
    return list(merged.values())


class CountSum(Sum):
    """SUM of a count column, as the database returns it (an integer, or NULL over no rows: the
    columns are NOT NULL, so a group's sum never is).

    Django converts every aggregate of an integer field with int() per row and column: on the
    team x month scores (~17,000 rows of 12 sums) that conversion alone took ~30 ms."""

    _PLAIN = (
        "IntegerField",
        "PositiveIntegerField",
        "SmallIntegerField",
        "PositiveSmallIntegerField",
    )

    @property
    def convert_value(self):
        # SUM of a 32-bit column is a bigint (an int in Python); of a bigint, a numeric (Decimal
        # in Python): that one keeps Django's conversion.
        if self.output_field.get_internal_type() in self._PLAIN:
            return self._convert_value_noop
        return super().convert_value


def _gathered(rows, *, plain: int, widths: list[int]) -> list[tuple]:
    """Fetched tuples with each array's sums (`widths`: how many, after the first `plain`
    columns) gathered into one list."""
    if not widths:
        return list(rows)
    if len(widths) == 1:
        return [row[:plain] + (list(row[plain:]),) for row in rows]
    spans, at = [], plain
    for width in widths:
        spans.append((at, at + width))
        at += width
    return [row[:plain] + tuple(list(row[a:b]) for a, b in spans) for row in rows]


def as_dicts(names: list[str], rows: list[tuple]) -> list[dict]:
    """`rollup_rows`' (names, rows) as dicts {name: value}."""
    return [dict(zip(names, row, strict=True)) for row in rows]


def column(names: list[str], name: str) -> int | None:
    """Where `name` is among `rollup_rows`' columns, None when the read has no such column."""
    return names.index(name) if name in names else None


def rollup_sums(day_model, **query) -> list[dict]:
    """`rollup_rows`' rows as dicts {name: value}."""
    return as_dicts(*rollup_rows(day_model, **query))


def rollup_rows(
    day_model,
    *,
    survey_id: int,
    start: dt.date | None,
    end: dt.date | None,
    where: Q | Callable[[str], Q],
    values: list[str],
    keys: Callable[[str], dict],
    sums: dict[str, str] | None = None,
    arrays: dict[str, list[str]] | None = None,
    by_month: bool = True,
) -> tuple[list[str], list[tuple]]:
    """Like `day_model.objects.filter(where, day in start..end).values(*values, **keys("day"))
    .annotate(name=Sum(column) for sums)`, reading month rows for the whole months, as
    (names, rows): each row a tuple of `values`, the keys, `sums` and `arrays` in that order.

    `where` must not name the date (the rows' own day or month), or is a function of that date
    field, like `keys(field)`, which gives the values() expressions (e.g. a period truncation).
    `arrays` {name: columns} gives each name the list of those columns' sums (ints; a
    histogram's c0..c10). `by_month=False` (weekly periods, which straddle months) reads day
    rows only.

    Tuples, with an array's sums fetched as plain columns and gathered into a list here: the
    team x month scores read ~13,000 histogram rows, and a dict per row (Django's values())
    and psycopg2 parsing an ARRAY[...] column's text cost more than the tuples and slices.
    """
    sums = sums or {}
    arrays = arrays or {}
    annotations = {name: CountSum(column) for name, column in sums.items()}
    for name, columns in arrays.items():
        annotations.update({f"_{name}_{column}": CountSum(column) for column in columns})
    month_model = TABLES[day_model][0]
    if by_month:
        months, days = _plan(survey_id=survey_id, start=start, end=end)
    else:
        months, days = None, Q()
        if start is not None:
            days &= Q(day__gte=start)
        if end is not None:
            days &= Q(day__lte=end)
    names: list[str] = []
    rows: list[tuple] = []
    for model, condition, field in ((month_model, months, "month"), (day_model, days, "day")):
        if condition is None:
            continue
        named = keys(field)
        names = [*values, *named, *sums, *arrays]
        query = (
            model.objects.filter(where(field) if callable(where) else where, condition)
            .values(*values, **named)
            .annotate(**annotations)
            .order_by()
            .values_list(*values, *named, *annotations)
        )
        rows += _gathered(
            query,
            plain=len(values) + len(named) + len(sums),
            widths=[len(columns) for columns in arrays.values()],
        )
    if months is None or days is None:
        return names, rows
    return names, _merged(rows, len(names) - len(sums) - len(arrays))
