"""`field__anyof=[ids]`: the value is one of the ids, as one array parameter on PostgreSQL.

Django's `__in` prepares each value in Python and sends one parameter per value (~10 µs an id
here): the anonymity conditions list a few thousand ids per page (a comment list's shown team
months: ~2,000), ~20 ms of Python. `= ANY(%s)` with the list as one array parameter is planned
as IN is (PostgreSQL turns IN into = ANY). Elsewhere (SQLite) it is a plain IN list. Ids only:
the values are sent as they are.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup


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
