"""A partner's pool as CSV in exactly the import format, streamed row by row.

Exporting a pool and importing the file into an empty pool gives the same pool:
the same numbers, DNIS, types, country and area codes, and the same subscribers on
the assigned ones. Retired numbers stay out; held and aging numbers come back
available.
"""

import csv
from collections.abc import Iterator

from csrtool.audit.services import record
from csrtool.numberpool.imports import COLUMNS
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner


class _Line:
    def write(self, value):
        return value


def export_numbers(*, actor: Actor, partner: Partner | None = None) -> Iterator[str]:
    """The pool's CSV lines, header first. The export itself is audited."""
    actor.require("pool.view")
    partner = actor.require_partner(partner)
    record(
        actor=actor,
        action="numbers.exported",
        target_type="partner",
        target_id=partner.slug,
        target_label=partner.name,
        partner=partner,
    )
    lines = (
        PhoneNumber.objects.for_partner(partner)
        .exclude(status=NumberStatus.RETIRED)
        .in_order()
        .values_list(
            "number",
            "dnis",
            "number_type",
            "country_code",
            "area_code",
            "status",
            "subscriber__public_id",
        )
    )
    return _rows(lines)


def _rows(lines) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(COLUMNS)
    for *fields, status, subscriber_id in lines.iterator(chunk_size=2000):
        owner = subscriber_id if status == NumberStatus.ASSIGNED else ""
        yield writer.writerow([*fields, owner])


def export_file_name(partner: Partner, now) -> str:
    return f"numbers-{partner.slug}-{now:%Y%m%d-%H%M%S}.csv"
