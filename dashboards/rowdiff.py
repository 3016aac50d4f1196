"""Replace a slice of a table by a query's rows, writing only the rows that differ (PostgreSQL).

A rebuild recomputes a whole survey's rollups. Deleting its ~400,000 rows and inserting them
again (maintaining every index for each) cost far more than computing them; usually almost none
of them changed. So, like `REFRESH MATERIALIZED VIEW CONCURRENTLY`:

1. the query's rows go into a temporary table (PostgreSQL runs CREATE TABLE ... AS with parallel
   workers, never INSERT ... SELECT);
2. one hash FULL JOIN of them with the slice, on the key (the rollup's grain, NULL equal to
   NULL), lists what differs into a second temporary table;
3. the stored rows listed are deleted (by ctid), the computed rows listed inserted.

Where a rollup table has no unique constraint on its key (before PostgreSQL 15), if the slice
held a key twice (both rows joined to one computed row), the row count after step 3 tells it:
the slice is then deleted and written whole, so the result is exact either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Model

STAGE = "tandem_rows_stage"
DIFF = "tandem_rows_diff"


@dataclass(frozen=True)
class Replaced:
    rows: int  # rows the slice holds now (the query's rows)
    deleted: int
    inserted: int


def _same_key(model: type[Model], keys: list[str]) -> str:
    """Join condition "s and t have the same key" that PostgreSQL can hash (a FULL JOIN needs
    that): a nullable column through COALESCE, then its NULL-ness (which keeps -1 apart from
    NULL)."""
    nullable = {field.column for field in model._meta.concrete_fields if field.null}
    terms = []
    for column in keys:
        if column in nullable:
            terms.append(f"COALESCE(s.{column}, -1) = COALESCE(t.{column}, -1)")
            terms.append(f"(s.{column} IS NULL) = (t.{column} IS NULL)")
        else:
            terms.append(f"s.{column} = t.{column}")
    return " AND ".join(terms)


def rows_replace(
    *,
    model: type[Model],
    keys: list[str],
    values: list[str],
    select: str,
    params: list,
    scope: str,
    scope_params: list,
    order: str = "",
) -> Replaced:
    """Make the rows of `model`'s table that match `scope` (SQL on alias t) exactly the rows
    `select` returns (columns `keys` then `values`), in the caller's transaction.

    `select` returns one row per key; every row it returns must match `scope`; nullable key
    columns must be integers (ids). `order` (columns, e.g. "survey_id, team_id, day") is the
    order rows are inserted in: that of the table's main index, so the rows a dashboard reads
    together lie together on disk (inserted unordered by a rebuild from empty rollups, the
    organisation dashboards were ~25% slower: their index scans read far more heap pages).

    One hash FULL JOIN on the key lists what differs: a computed row with no stored row (to
    insert), a stored row with no computed row (to delete), and a pair whose values differ
    (both). Only those rows are written.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*keys, *values]
    names = ", ".join(columns)
    ordered = f" ORDER BY {order}" if order else ""
    stored_values = ", ".join(f"t.{c}" for c in values)
    computed_values = ", ".join(f"s.{c}" for c in values)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} ({names}) ON COMMIT DROP AS {select}", params)
        wanted = cursor.rowcount
        cursor.execute(f"SELECT COUNT(*) FROM {table} t WHERE {scope}", scope_params)
        before = cursor.fetchone()[0]
        if before == 0:  # nothing stored (a first build): no difference to look for
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGE}{ordered}")
            return Replaced(rows=wanted, deleted=0, inserted=cursor.rowcount)
        cursor.execute(f"DROP TABLE IF EXISTS {DIFF}")
        cursor.execute(
            f"CREATE TEMP TABLE {DIFF} ON COMMIT DROP AS "
            f"SELECT t.stored, {', '.join(f's.{c}' for c in columns)} "
            f"FROM {STAGE} s FULL JOIN "
            f"(SELECT ctid AS stored, * FROM {table} t WHERE {scope}) t "
            f"ON {_same_key(model, keys)} "
            f"WHERE t.stored IS NULL OR s.{keys[0]} IS NULL "
            f"OR ({computed_values}) IS DISTINCT FROM ({stored_values})",
            scope_params,
        )
        cursor.execute(
            f"DELETE FROM {table} WHERE ctid IN "
            f"(SELECT stored FROM {DIFF} WHERE stored IS NOT NULL)"
        )
        deleted = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {DIFF} "
            f"WHERE {keys[0]} IS NOT NULL{ordered}"
        )
        inserted = cursor.rowcount
        if before - deleted + inserted != wanted:
            # A key was stored twice (both rows matched one computed row): write the slice whole.
            cursor.execute(f"DELETE FROM {table} t WHERE {scope}", scope_params)
            deleted = before + inserted  # every row there was, and the ones just inserted
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGE}{ordered}")
            inserted = cursor.rowcount
    return Replaced(rows=wanted, deleted=deleted, inserted=inserted)


def delete_then_insert(
    *, table: str, condition: str, params: list, insert: str, insert_params: list
) -> int:
    """DELETE the rows of `table` matching `condition`, then run `insert` (an INSERT ... SELECT
    into the same table), in the caller's transaction; returns the rows inserted.

    Two statements: in one (the DELETE as a data-modifying CTE) PostgreSQL may run the INSERT
    first, and the rollups' unique grain would then refuse the rows still there."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {condition}", params)
        cursor.execute(insert, insert_params)
        return cursor.rowcount
