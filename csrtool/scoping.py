"""The partner boundary every partner-owned table shares."""

from django.db import models
from django.db.models import Func


class PartnerScopedQuerySet(models.QuerySet):
    """Every partner-scoped read starts here, so no query can forget the partner."""

    partner_field = "partner"

    def for_partner(self, partner):
        return self.filter(**{self.partner_field: partner})

    def for_actor(self, actor, *, with_partner=False, tested=False):
        """The rows the actor may read. `with_partner` gives each row its
        partner: an operator's rows join it, a partner's staff get the actor's
        own partner object on every row, read with the request, so the query
        joins nothing (for reads that show rows, not for services that act on
        a partner changed since the actor was made). `with_partner` needs a
        partner column on the table itself. `tested` keeps the partner's rows
        without reading them through an index of the partner (see `Tested`):
        for reads that an index of something else narrows to a few rows."""
        if actor.is_operator:
            return self.select_related(self.partner_field) if with_partner else self
        if tested:
            column = Tested(models.F(f"{self.partner_field}_id"))
            queryset = self.alias(partner_tested=column)
            queryset = queryset.filter(partner_tested=actor.partner.pk)
        else:
            queryset = self.for_partner(actor.partner)
        if with_partner:
            field = self.model._meta.get_field(self.partner_field)
            queryset._known_related_objects = {
                **queryset._known_related_objects,
                field: {actor.partner.pk: actor.partner},
            }
        return queryset


class Tested(Func):
    """SQLite: a column's own value, tested on each row that an index of other
    columns found, never used to find or order rows (`+column`, which no index
    serves). SQLite plans without statistics and would otherwise walk an index
    of the partner's whole table (its pool, its audit trail) to find the few
    rows of one subscriber or number. PostgreSQL weighs the indexes by its
    statistics: the column as it is."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s")


def each_value(table: str, column: str, partner_id=None) -> tuple[str, list]:
    """A recursive query `seen(value)` of the distinct values of `column` in
    `table` (of one partner's rows, or of all), each found with one seek of an
    index that leads with (the partner and) the column: a loose index scan,
    where a DISTINCT reads every row. Gives its SQL, for the caller's SELECT
    from `seen` to follow, and its parameters."""
    scope, params = "", []
    if partner_id is not None:
        scope, params = "partner_id = %s AND ", [partner_id]
    statement = (
        "WITH RECURSIVE seen(value) AS ("  # noqa: S608
        f"SELECT MIN({column}) FROM {table} WHERE {scope}{column} IS NOT NULL "
        "UNION ALL "
        f"SELECT (SELECT MIN({column}) FROM {table} "
        f"WHERE {scope}{column} > seen.value) "
        "FROM seen WHERE seen.value IS NOT NULL) "
    )
    return statement, params * 2
