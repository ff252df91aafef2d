"""Rows read for a partner's staff with their partner carry the actor's own
partner object, so the query joins no partner table; an operator's rows join
it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from csrtool.partners.access import staff_actor
from csrtool.subscribers.models import Subscriber


def _read(queryset) -> tuple[set[str], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        names = {row.partner.name for row in queryset}
    return names, [query["sql"] for query in queries.captured_queries]


def test_a_partners_staff_read_rows_with_their_own_partner_and_no_join(cast):
    bob = staff_actor(cast.bob)
    rows = Subscriber.objects.for_actor(bob, with_partner=True)
    names, sql = _read(rows)
    assert names == {"Acme Telecom"}
    assert len(sql) == 1
    assert "partners_partner" not in sql[0]
    assert rows.get(pk=cast.sam.pk).partner is bob.partner


def test_an_operator_reads_every_partners_rows_with_their_partner_joined(cast):
    olivia = staff_actor(cast.olivia)
    names, sql = _read(Subscriber.objects.for_actor(olivia, with_partner=True))
    assert names == {"Acme Telecom", "Globex Voice"}
    assert len(sql) == 1
    assert "partners_partner" in sql[0]
