"""`field__anyof=[ids]`: the value is one of the ids, as one array parameter on PostgreSQL.
(And MonthCellsIn, below: a rollup row is in one of a set of (month, group) cells.)

Django's `__in` prepares each value in Python and sends one parameter per value (~10 µs an id
here): the anonymity conditions list a few thousand ids per page (a comment list's shown team
months: ~2,000), ~20 ms of Python. `= ANY(%s)` with the list as one array parameter is planned
as IN is (PostgreSQL turns IN into = ANY). Elsewhere (SQLite) it is a plain IN list. Ids only:
the values are sent as they are.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F, Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "anyof"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, values]
        if not values:
            return "1 = 0", params
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # foreign keys look only at their own lookups


class MonthCellsIn(Expression):
    """Whether a rollup row is in one of the cells `keys` ((month, group id or None) pairs):
    the month of its date field `date_field` ("month", or "day": the month it falls in) and
    its group id at `id_path` (a column of the row's own table, None: no group).

    One hashed lookup of the pair per row: an anonymous survey leaves out a few hundred team
    months (_anonymous_cells), which as a condition per month with an id list each cost
    PostgreSQL ~4 ms over the 14,000 month rows of a survey at a million answers (the scores
    API by team read in 11.5 ms, 7.5 ms so). A row without a group is the pair (month, 0):
    never NULL, so NOT of this is exact. Ids are database ids, never 0.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, date_field: str, id_path: str | None, keys):
        super().__init__()
        self.date_field = date_field
        self.keys = sorted({(month, group or 0) for month, group in keys})
        self.sources = [F(date_field), *([F(id_path)] if id_path else [])]

    def get_source_expressions(self):
        return self.sources

    def set_source_expressions(self, exprs):
        self.sources = list(exprs)

    def as_sql(self, compiler, connection):
        if not self.keys:
            return "1 = 0", []
        compiled = [compiler.compile(source) for source in self.sources]
        params = [param for _, part in compiled for param in part]
        postgresql = connection.vendor == "postgresql"
        month_sql = compiled[0][0]
        if self.date_field != "month":
            month_sql = (
                f"date_trunc('month', {month_sql})::date"
                if postgresql
                else f"date({month_sql}, 'start of month')"
            )
        months = [month for month, _ in self.keys]
        if len(compiled) == 1:  # no group: whole months
            if postgresql:
                return f"{month_sql} = ANY(%s::date[])", [*params, months]
            marks = ", ".join(["%s"] * len(months))
            return f"{month_sql} IN ({marks})", [*params, *map(str, months)]
        pair = f"({month_sql}, COALESCE({compiled[1][0]}, 0))"
        if postgresql:
            ids = [group for _, group in self.keys]
            return (
                f"{pair} IN (SELECT * FROM unnest(%s::date[], %s::bigint[]))",
                [*params, months, ids],
            )
        pairs = ", ".join(["(%s, %s)"] * len(self.keys))
        flat = [value for month, group in self.keys for value in (str(month), group)]
        return f"{pair} IN (VALUES {pairs})", [*params, *flat]
