"""Every write to the number pool: typed, keyword-only, one transaction, audited.

States: available → held → assigned → aging → available, plus retired. A lapsed
hold and a finished aging period count as available when read, and the next claim
takes the row with a conditional UPDATE, so no background job is needed for
correctness (`expire_numbers` only tidies up).

`pool` adds, removes, retires and returns numbers; `assignment` gives them to
subscribers and takes them back; `lookup` finds one; `history` writes a change's
audit event and owner entry. `assign_line`, `release_line` and
`ensure_assignable` are the steps other writes (the portal's self-service) build
on, inside their own transaction.
"""

from csrtool.numberpool.services.assignment import (
    assign_line,
    assign_number,
    ensure_assignable,
    expire_numbers,
    hold_number,
    release_line,
    release_subscriber_numbers,
    unassign_number,
)
from csrtool.numberpool.services.lookup import find_number, named_dnis
from csrtool.numberpool.services.pool import (
    DNIS_TAKEN,
    NUMBER_TAKEN,
    add_number,
    remove_number,
    retire_number,
    unretire_number,
)

__all__ = [
    "DNIS_TAKEN",
    "NUMBER_TAKEN",
    "add_number",
    "assign_line",
    "assign_number",
    "ensure_assignable",
    "expire_numbers",
    "find_number",
    "hold_number",
    "named_dnis",
    "release_line",
    "release_subscriber_numbers",
    "remove_number",
    "retire_number",
    "unassign_number",
    "unretire_number",
]
