"""Bulk onboarding: a partner's existing customers from a CSV, previewed, then
written chunk by chunk, resumably, with their welcome emails paced or held back.

A chunk's accounts are written together (`create_subscribers`: one INSERT per
table, each account still with its audit row and its event); a row with a
number or a plan goes through `open_account`, as one customer added by a CSR
would (all or nothing, every step audited), and so does every row of a chunk
whose login was taken after it was checked. The welcome emails are not written
with the accounts: each chunk takes its places in the partner's pace, and a
background job queues the chunk's emails when the first of them is due
(`queue_due_invitations`). A row whose login email or Billing ID the partner
already has is "already present": an import run twice, or continued after a
crash, creates nobody twice and sends no second welcome email. Chunks are
claimed by moving `rows_done` with a conditional UPDATE, so two runs of one
import never write the same rows.
"""

import csv
import hashlib
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from csrtool import validation
from csrtool.audit.services import record
from csrtool.crashpoints import crash_point
from csrtool.csvfiles import open_csv, spreadsheet_safe
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.events.services import written_together
from csrtool.features.models import Plan
from csrtool.numberpool.lines import number_keys, region_for
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.onboarding.models import EmailKind, OutboundEmail
from csrtool.onboarding.services import welcome_new_subscribers
from csrtool.partners.access import SYSTEM, Actor, staff_actor
from csrtool.partners.models import Partner
from csrtool.prepared import update_apart
from csrtool.subscribers.models import (
    ImportStatus,
    Status,
    Subscriber,
    SubscriberImport,
    SubscriberImportPart,
)
from csrtool.subscribers.services import (
    EMAIL_TAKEN,
    clean_new_account,
    create_subscribers,
    logins_taken,
)
from csrtool.workflows.new_account import open_account

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "time_zone",
    "language",
    "billing_id",
    "number",
    "plan",
)
REQUIRED_COLUMNS = ("first_name", "last_name", "email", "phone", "billing_id")
# Header spellings a spreadsheet may use for the same column.
ALIASES = {"contact_phone": "phone", "login_email": "email", "dnis": "number"}
LABELS = {
    "first_name": "First Name",
    "last_name": "Last Name",
    "email": "Email",
    "phone": "Contact phone",
    "time_zone": "Time zone",
    "language": "Language",
    "billing_id": "Billing ID",
    "number": "Number",
    "plan": "Plan",
}
MAX_ROWS = 100_000
CHUNK_SIZE = 1000

WILL_ADD, PRESENT, ERROR = "a", "p", "e"
EMAIL_LOOKS_LIKE_ANOTHER = (
    "This email address looks the same as another one in the file."
)
OUTCOME_LABELS = {WILL_ADD: "added", PRESENT: "already present", ERROR: "error"}


@dataclass
class AccountRow:
    """One line of the file: its values, its problems and its fate."""

    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    outcome: str = ""
    subscriber_id: str = ""
    # What `_check_fields` found, kept apart so the database can be asked again.
    field_errors: list[str] = field(default_factory=list)
    cleaned: dict | None = None

    @property
    def email_canonical(self) -> str:
        return self.cleaned["email_canonical"] if self.cleaned else ""

    @property
    def billing_id(self) -> str:
        return self.cleaned["billing_id"] if self.cleaned else ""

    @property
    def reason(self) -> str:
        return " ".join(self.errors)


def _column(name: str) -> str:
    key = "_".join(name.strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


def _read_accounts(text: str) -> Iterator[AccountRow]:
    """The file's rows one at a time, each read as it is reached."""
    header, reader = open_csv(
        text, columns=COLUMNS, required=REQUIRED_COLUMNS, column_name=_column
    )
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        row = AccountRow(
            line=reader.line_num,
            values={
                name: value.strip() for name, value in zip(header, cells, strict=False)
            },
        )
        if len(cells) != len(header):
            row.field_errors.append(
                f"Expected {len(header)} values, found {len(cells)}."
            )
        yield row


def _too_many() -> ValidationFailed:
    return ValidationFailed(
        {
            "file": [
                f"The file has more than {MAX_ROWS:,} accounts. "
                "Split it into smaller files."
            ]
        }
    )


def _no_accounts() -> ValidationFailed:
    return ValidationFailed({"file": ["The file has a header but no accounts."]})


def parse_accounts(text: str) -> list[AccountRow]:
    """Rows of a CSV whose first line names the columns, in any order."""
    rows = []
    for row in _read_accounts(text):
        if len(rows) >= MAX_ROWS:
            raise _too_many()
        rows.append(row)
    if not rows:
        raise _no_accounts()
    return rows


@dataclass
class _Seen:
    """The first line of each login email and Billing ID met so far in a file."""

    emails: dict[str, int] = field(default_factory=dict)
    billing_ids: dict[str, int] = field(default_factory=dict)


def _check_fields(
    rows: list[AccountRow], partner: Partner, seen: _Seen | None = None
) -> None:
    """Each row on its own, with the rules of adding one account, then login
    emails and Billing IDs repeated within the file (`seen` carries them from
    one chunk to the next). No database query."""
    seen = seen if seen is not None else _Seen()
    first_line, first_billing = seen.emails, seen.billing_ids
    for row in rows:
        if row.field_errors or row.cleaned:
            continue  # checked already
        try:
            row.cleaned = clean_new_account(row.values, partner=partner)
        except ValidationFailed as e:
            row.field_errors.extend(
                f"{LABELS.get(name, name)}: {message}"
                for name, messages in e.errors.items()
                for message in messages
            )
            continue
        if row.email_canonical in first_line:
            row.field_errors.append(
                f"The same email is also on line {first_line[row.email_canonical]}."
            )
        else:
            first_line[row.email_canonical] = row.line
        if row.billing_id in first_billing:
            row.field_errors.append(
                f"The same Billing ID is also on line {first_billing[row.billing_id]}."
            )
        else:
            first_billing[row.billing_id] = row.line


def _classify(rows: list[AccountRow], partner: Partner) -> None:
    """Will add, already present or error, with one query each for the emails,
    the Billing IDs, the numbers and the plans of a chunk.

    A customer the partner already has, by login email or by Billing ID, is
    already present. Asking again answers afresh."""
    for row in rows:
        row.errors, row.outcome, row.subscriber_id = list(row.field_errors), "", ""
    candidates = [row for row in rows if not row.errors]
    existing = {
        canonical: (partner_id, public_id)
        for canonical, partner_id, public_id in Subscriber.objects.filter(
            email_canonical__in=[row.email_canonical for row in candidates]
        ).values_list("email_canonical", "partner_id", "public_id")
    }
    # The newest account of each Billing ID, chosen here: ordering the query
    # would walk the partner's accounts by date instead of its Billing IDs.
    billed = {
        billing_id: public_id
        for billing_id, public_id, _, _ in sorted(
            Subscriber.objects.for_partner(partner)
            .filter(billing_id__in=[row.billing_id for row in candidates])
            .order_by()
            .values_list("billing_id", "public_id", "created_at", "pk"),
            key=lambda found: (found[2], found[3]),
        )
    }
    region = region_for(partner)
    wanted = {}
    for row in candidates:
        if row.values.get("number"):
            wanted[row.line] = number_keys(row.values["number"], region)
    by_number, by_dnis = {}, {}
    if wanted:
        found = (
            PhoneNumber.objects.for_partner(partner)
            .with_number_or_dnis(
                [e164 for _, e164 in wanted.values() if e164],
                [digits for digits, _ in wanted.values() if digits],
            )
            .values_list("dnis", "number", "status")
        )
        for dnis, number, status in found:
            by_dnis[dnis] = by_number[number] = (dnis, status)
    taken = logins_taken(
        row.email_canonical for row in candidates if row.email_canonical not in existing
    )
    in_file = {row.email_canonical for row in candidates}
    claimed: dict[str, int] = {}
    plans = {
        name.lower()
        for name in Plan.objects.for_partner(partner).values_list("name", flat=True)
    }
    for row in candidates:
        found = existing.get(row.email_canonical)
        if found is not None and found[0] == partner.pk:
            row.outcome, row.subscriber_id = PRESENT, found[1]
            continue
        if found is not None:
            row.errors.append(f"Email: {EMAIL_TAKEN}")
        elif row.email_canonical in taken:
            row.errors.append(f"Email: {taken[row.email_canonical]}")
        elif validation.email_look_alikes(row.email_canonical) & in_file:
            row.errors.append(f"Email: {EMAIL_LOOKS_LIKE_ANOTHER}")
        elif row.billing_id in billed:
            row.outcome, row.subscriber_id = PRESENT, billed[row.billing_id]
            continue
        if row.line in wanted:
            digits, e164 = wanted[row.line]
            line = by_number.get(e164) or by_dnis.get(digits)
            if line is None:
                row.errors.append(
                    f"Number: {row.values['number'][:40]!r} is not in your pool."
                )
            elif line[1] != NumberStatus.AVAILABLE:
                row.errors.append(
                    f"Number: {line[0]} is not available (it is {line[1]})."
                )
            elif line[0] in claimed:
                row.errors.append(
                    f"Number: {line[0]} is also on line {claimed[line[0]]}."
                )
            else:
                claimed[line[0]] = row.line
                row.values["number"] = line[0]
        plan = row.values.get("plan", "")
        if plan and plan.lower() not in plans:
            row.errors.append(f"Plan: no plan is named {plan[:60]!r}.")
    for row in rows:
        if row.errors:
            row.outcome = ERROR
        elif not row.outcome:
            row.outcome = WILL_ADD


def _chunks(rows, size=CHUNK_SIZE):
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def check_accounts(text: str, *, partner: Partner) -> list[AccountRow]:
    """Every row checked against the rules and the database; nothing written."""
    rows = parse_accounts(text)
    _check_fields(rows, partner)
    for _, chunk in _chunks(rows, 2000):
        _classify(chunk, partner)
    return rows


def get_import(*, actor: Actor, import_id) -> SubscriberImport:
    actor.require("subscribers.add")
    try:
        return SubscriberImport.objects.for_actor(actor).get(pk=int(import_id))
    except (SubscriberImport.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"No import has the ID {str(import_id)[:20]!r}.") from None


def _audit(actor, job, action, after=None):
    record(
        actor=actor,
        action=action,
        target_type="subscriber_import",
        target_id=str(job.pk),
        target_label=str(job),
        partner=job.partner,
        after=after,
    )


def preview_import(
    *,
    actor: Actor,
    text: str,
    file_name: str = "",
    invite_now: bool = True,
    partner: Partner | None = None,
    now: datetime | None = None,
) -> tuple[SubscriberImport, list[AccountRow]]:
    """Check every row and record what importing would do; create nobody.

    The same file previewed again while its import is open gives that import,
    so an interrupted import continues instead of starting over.
    """
    actor.require("subscribers.add")
    partner = actor.require_partner(partner)
    now = now or timezone.now()
    rows = check_accounts(text, partner=partner)
    _require_for(
        actor,
        numbers=any(row.values.get("number") for row in rows),
        plans=any(row.values.get("plan") for row in rows),
    )
    outcomes = "".join(row.outcome for row in rows)
    planned = {
        "planned_add": outcomes.count(WILL_ADD),
        "planned_present": outcomes.count(PRESENT),
        "planned_errors": outcomes.count(ERROR),
    }
    problems = {str(row.line): row.reason for row in rows if row.errors}
    digest = _digest(text)
    with transaction.atomic():
        job = (
            SubscriberImport.objects.for_partner(partner)
            .open()
            .filter(file_hash=digest)
            .select_for_update()
            .first()
        )
        if job is not None:
            if job.status == ImportStatus.PREVIEWED:
                job.outcomes, job.problems, job.invite_now = (
                    outcomes,
                    problems,
                    invite_now,
                )
                for name, value in planned.items():
                    setattr(job, name, value)
                job.updated_at = now
                job.save()
            return job, rows
        job = _new_import(
            actor,
            partner,
            text,
            digest,
            file_name,
            invite_now,
            now,
            total_rows=len(rows),
            outcomes=outcomes,
            problems=problems,
            **planned,
        )
        _audit(
            actor,
            job,
            "subscriber_import.previewed",
            {"file_name": job.file_name, "rows": len(rows), **planned},
        )
    return job, rows


def run_import(
    *, actor: Actor, import_id, now: datetime | None = None, progress=None
) -> SubscriberImport:
    """Write the import from where it stands, chunk by chunk, and finish it.

    The file is read a chunk at a time, so memory does not grow with its size
    (beyond the file itself and each line's login email and Billing ID, kept to
    find them repeated). Rows written before an interruption are skipped; one
    repeating them is then recognised in the database as already present."""
    job = get_import(actor=actor, import_id=import_id)
    rows = _read_accounts(job.content)
    done = job.rows_done
    for _ in itertools.islice(rows, done):
        pass
    seen = _Seen()
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        if not _write_chunk(actor, job, chunk, done, now or timezone.now(), seen):
            break  # another run is writing this import
        done += len(chunk)
        if progress is not None:
            progress(done, job.total_rows)
    _finish(actor, job, now or timezone.now())
    job.refresh_from_db()
    return job


def start_import(*, actor: Actor, import_id, now: datetime | None = None):
    """Hand the writing of an import to a background job (the page's Import and
    Continue). Starting one whose job is queued or running changes nothing."""
    from csrtool.workflows.tasks import write_subscriber_import

    now = now or timezone.now()
    job = get_import(actor=actor, import_id=import_id)
    if job.status == ImportStatus.COMPLETED or import_in_progress(job):
        return job
    if actor.user is None:
        raise DomainError("Run the import from the command line: subscribers import.")
    with transaction.atomic():
        task = write_subscriber_import.enqueue(job.pk, actor.user.pk)
        started = SubscriberImport.objects.filter(
            pk=job.pk, task_id=job.task_id
        ).update(task_id=task.id, updated_at=now)
        if not started:
            # Another click started it a moment ago; its job does the work.
            transaction.set_rollback(True)
            job.refresh_from_db()
            return job
        _audit(
            actor,
            job,
            "subscriber_import.started",
            {"rows_done": job.rows_done, "total_rows": job.total_rows},
        )
    job.refresh_from_db()
    return job


def import_in_progress(job: SubscriberImport) -> bool:
    """Whether the import's background job is waiting for a worker or running."""
    from django_tasks.base import TaskResultStatus
    from django_tasks.exceptions import TaskResultDoesNotExist

    from csrtool.workflows.tasks import write_subscriber_import

    if not job.task_id or job.status == ImportStatus.COMPLETED:
        return False
    try:
        result = write_subscriber_import.get_result(job.task_id)
    except TaskResultDoesNotExist:
        return False
    return result.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def import_accounts(
    *,
    actor: Actor,
    text: str,
    file_name: str = "",
    invite_now: bool = True,
    partner: Partner | None = None,
    progress=None,
) -> SubscriberImport:
    """Check and write at once (the command line and the API): each chunk is
    checked as a preview would check it, then written. The same file while its
    import is open continues that import."""
    actor.require("subscribers.add")
    partner = actor.require_partner(partner)
    digest = _digest(text)
    job = (
        SubscriberImport.objects.for_partner(partner)
        .open()
        .filter(file_hash=digest)
        .first()
    )
    if job is None:
        job = _open_import(actor, partner, text, digest, file_name, invite_now)
    elif job.status == ImportStatus.PREVIEWED:
        # Previewed only: how to invite is still this run's to choose.
        SubscriberImport.objects.filter(
            pk=job.pk, status=ImportStatus.PREVIEWED
        ).update(invite_now=invite_now)
    return run_import(actor=actor, import_id=job.pk, progress=progress)


def _digest(text: str) -> str:
    """What recognises the same file uploaded again."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _require_for(actor: Actor, *, numbers: bool, plans: bool) -> None:
    """Rows assigning numbers or applying plans need those permissions too."""
    if numbers:
        actor.require("numbers.assign")
    if plans:
        actor.require("features.change")


def _new_import(actor, partner, text, digest, file_name, invite_now, now, **fields):
    return SubscriberImport.objects.create(
        partner=partner,
        created_by=actor.user,
        created_by_label=actor.label[:300],
        file_name=str(file_name or "")[:200],
        file_hash=digest,
        content=text,
        invite_now=invite_now,
        created_at=now,
        updated_at=now,
        **fields,
    )


def _open_import(actor, partner, text, digest, file_name, invite_now):
    total, numbers, plans = 0, False, False
    for row in _read_accounts(text):
        total += 1
        if total > MAX_ROWS:
            raise _too_many()
        numbers = numbers or bool(row.values.get("number"))
        plans = plans or bool(row.values.get("plan"))
    if not total:
        raise _no_accounts()
    _require_for(actor, numbers=numbers, plans=plans)
    try:
        with transaction.atomic():
            job = _new_import(
                actor,
                partner,
                text,
                digest,
                file_name,
                invite_now,
                timezone.now(),
                status=ImportStatus.RUNNING,
                total_rows=total,
            )
            _audit(
                actor,
                job,
                "subscriber_import.started",
                {"file_name": job.file_name, "rows": total, "rows_done": 0},
            )
    except IntegrityError:
        # The same file, started a moment ago: continue that one.
        job = SubscriberImport.objects.for_partner(partner).open().get(file_hash=digest)
    return job


def _keep_pace_from(job: SubscriberImport, now: datetime) -> None:
    """Start the import's pace now, or carry it on from where it stands: after
    a pause (a worker killed mid-import, invitations sent days after the
    import) the next email is due now and the rest at the pace from there,
    never every overdue one at once."""
    if job.invitations_from is None:
        job.invitations_from = now
        return
    per_minute = job.partner.invitations_per_minute
    earliest = now - timedelta(minutes=job.invitations_queued // per_minute)
    job.invitations_from = max(job.invitations_from, earliest)


def _invitation_time(
    start: datetime | None, k: int, per_minute: int, now: datetime
) -> datetime:
    """When the k-th welcome email of an import (from 0) may go out: a minute's
    worth at once, then the next minute's, at the partner's pace."""
    return max(now, (start or now) + timedelta(minutes=k // per_minute))


def _write_chunk(actor, job, chunk, start, now, seen=None) -> bool:
    """Claim rows start… of the import and write them; False when another run
    claimed them first. The fields are checked before the transaction (on
    SQLite, before taking the write lock)."""
    end = start + len(chunk)
    partner = job.partner
    _check_fields(chunk, partner, seen)
    with transaction.atomic(), written_together():
        claimed = (
            SubscriberImport.objects.filter(pk=job.pk, rows_done=start)
            .exclude(status=ImportStatus.COMPLETED)
            .update(rows_done=end, status=ImportStatus.RUNNING, updated_at=now)
        )
        if not claimed:
            return False
        _classify(chunk, partner)
        job.refresh_from_db(
            fields=["invitations_from", "invitations_queued", "outcomes", "problems"]
        )
        adding = [row for row in chunk if row.outcome == WILL_ADD]
        # Accounts alone go in together; one with a number or a plan, or all of
        # them when a login was taken meanwhile, one at a time.
        together = [
            row
            for row in adding
            if not row.values.get("number") and not row.values.get("plan")
        ]
        done = {row.line for row in together}
        if not _add_together(actor, job, together):
            done = set()
        for row in adding:
            if row.line not in done:
                _add_one(actor, job, row)
        added_ids = [row.subscriber_id for row in adding if row.subscriber_id]
        outcomes = "".join(row.outcome for row in chunk)
        problems = {**job.problems}
        for row in chunk:
            problems.pop(str(row.line), None)
            if row.errors:
                problems[str(row.line)] = row.reason
        ids = {str(row.line): row.subscriber_id for row in chunk if row.subscriber_id}
        # Values apart from the SQL: see csrtool.prepared.update_apart.
        update_apart(
            SubscriberImport.objects.filter(pk=job.pk),
            added=F("added") + outcomes.count(WILL_ADD),
            already_present=F("already_present") + outcomes.count(PRESENT),
            failed=F("failed") + outcomes.count(ERROR),
            outcomes=job.outcomes[:start] + outcomes + job.outcomes[end:],
            problems=problems,
        )
        part = SubscriberImportPart.objects.create(
            subscriber_import=job,
            first_row=start,
            subscriber_ids=ids,
            added_ids=added_ids,
        )
        if job.invite_now:
            _schedule_invitations(job, [part], now)
    crash_point("subscriber_import.chunk_written")
    return True


def _schedule_invitations(job, parts, now) -> None:
    """Give the parts' accounts their places in the import's pace and a job to
    queue their welcome emails when the first is due. Call it inside the
    transaction that holds the import's row."""
    parts = [part for part in parts if part.added_ids]
    if not parts:
        return
    from csrtool.workflows.tasks import send_due_invitations

    _keep_pace_from(job, now)
    per_minute = job.partner.invitations_per_minute
    for part in parts:
        part.invite_from = job.invitations_from
        part.first_invitation = job.invitations_queued
        job.invitations_queued += len(part.added_ids)
    SubscriberImportPart.objects.bulk_update(parts, ["invite_from", "first_invitation"])
    SubscriberImport.objects.filter(pk=job.pk).update(
        invitations_queued=job.invitations_queued,
        invitations_from=job.invitations_from,
    )
    for part in parts:
        due = _invitation_time(part.invite_from, part.first_invitation, per_minute, now)
        send_due_invitations.using(run_after=due).enqueue(job.pk)


def _import_actor(job: SubscriberImport) -> Actor:
    """Who the welcome emails of an import are queued as, in the worker."""
    if job.created_by is not None:
        return staff_actor(job.created_by, channel="worker")
    return replace(SYSTEM, label=job.created_by_label or SYSTEM.label)


def queue_due_invitations(*, import_id, now: datetime | None = None) -> int:
    """Queue the welcome emails of each part of an import whose first is due
    (the background job `send_due_invitations`): each email held back to its
    own moment in the pace, so at most a chunk's emails wait in the outbox.
    Accounts that already have a welcome email, or are no longer pending
    activation, are skipped; a part is done once. The number queued."""
    now = now or timezone.now()
    queued = 0
    waiting = SubscriberImportPart.objects.filter(
        subscriber_import_id=import_id,
        invite_from__isnull=False,
        invited_at__isnull=True,
    ).order_by("first_row")
    for part_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            part = (
                SubscriberImportPart.objects.select_for_update()
                .select_related("subscriber_import__partner")
                .filter(pk=part_id, invited_at__isnull=True)
                .first()
            )
            if part is None:
                continue  # another run queued them
            job = part.subscriber_import
            per_minute = job.partner.invitations_per_minute
            start, first = part.invite_from, part.first_invitation
            if _invitation_time(start, first, per_minute, now) > now:
                break  # the parts after it are due later still
            pending = {
                subscriber.public_id: subscriber
                for subscriber in Subscriber.objects.for_partner(job.partner)
                .filter(public_id__in=part.added_ids, status=Status.PENDING_ACTIVATION)
                .exclude(
                    Exists(
                        OutboundEmail.objects.filter(
                            subscriber=OuterRef("pk"), kind=EmailKind.WELCOME
                        )
                    )
                )
                .select_related("partner")
            }
            subscribers, moments = [], []
            for k, public_id in enumerate(part.added_ids):
                if public_id in pending:
                    subscribers.append(pending[public_id])
                    moments.append(_invitation_time(start, first + k, per_minute, now))
            welcome_new_subscribers(
                actor=_import_actor(job),
                subscribers=subscribers,
                welcome=True,
                welcome_at=moments,
            )
            part.invited_at = now
            part.save(update_fields=["invited_at"])
            queued += len(subscribers)
    return queued


def _add_together(actor, job, rows) -> bool:
    """The rows' accounts with one INSERT per table; False, with nothing
    written, when a login was taken since the rows were checked."""
    if not rows:
        return True
    try:
        with transaction.atomic(), written_together():
            subscribers = create_subscribers(
                actor=actor,
                partner=job.partner,
                accounts=[row.cleaned for row in rows],
                welcome=False,
            )
    except IntegrityError:
        return False
    for row, subscriber in zip(rows, subscribers, strict=True):
        row.subscriber_id = subscriber.public_id
    return True


def _add_one(actor, job, row) -> None:
    """One row's account, with its number and plan, as a CSR adds one."""
    values = row.values
    try:
        with transaction.atomic():
            account = open_account(
                actor=actor,
                partner=job.partner,
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=values["email"],
                phone=values["phone"],
                billing_id=values["billing_id"],
                time_zone=values.get("time_zone") or None,
                language=values.get("language") or None,
                number=values.get("number", ""),
                plan=values.get("plan") or None,
                welcome=False,
            )
    except DomainError as e:
        row.outcome = ERROR
        messages = getattr(e, "errors", {}) or {e.field or "": [e.message]}
        row.errors.extend(m for ms in messages.values() for m in ms)
        return
    row.subscriber_id = account.subscriber.public_id


def _finish(actor, job, now) -> None:
    with transaction.atomic():
        finished = (
            SubscriberImport.objects.filter(pk=job.pk, rows_done=F("total_rows"))
            .exclude(status=ImportStatus.COMPLETED)
            .update(status=ImportStatus.COMPLETED, finished_at=now, updated_at=now)
        )
        if not finished:
            return
        job.refresh_from_db()
        if not (job.planned_add or job.planned_present or job.planned_errors):
            # Checked and written in one pass (import_accounts): what was
            # planned is what happened.
            job.planned_add = job.added
            job.planned_present = job.already_present
            job.planned_errors = job.failed
            job.save(update_fields=["planned_add", "planned_present", "planned_errors"])
        _audit(
            actor,
            job,
            "subscriber_import.completed",
            {
                "rows": job.total_rows,
                "added": job.added,
                "already_present": job.already_present,
                "errors": job.failed,
                "invitations_queued": job.invitations_queued,
            },
        )


def send_invitations(
    *, actor: Actor, import_id, now: datetime | None = None
) -> SubscriberImport:
    """The welcome emails of a "create now, invite later" import, at the
    partner's pace from now: each chunk's are queued by the background job when
    the first of them is due. Accounts that already have a welcome email, or
    are no longer pending activation then, are skipped: sending twice sends
    nobody a second one."""
    now = now or timezone.now()
    job = get_import(actor=actor, import_id=import_id)
    if job.status != ImportStatus.COMPLETED:
        raise DomainError(
            "Finish the import first: invitations go to the accounts it created.",
            code="import_not_finished",
        )
    with transaction.atomic():
        job = (
            SubscriberImport.objects.select_related("partner")
            .select_for_update()
            .get(pk=job.pk)
        )
        parts = list(job.parts.filter(invite_from__isnull=True).order_by("first_row"))
        _schedule_invitations(job, parts, now)
        _audit(
            actor,
            job,
            "subscriber_import.invitations_sent",
            {"invitations_queued": job.invitations_queued},
        )
    job.refresh_from_db()
    return job


def result_rows(job: SubscriberImport):
    """The import's result file: each row's Subscriber ID or why it was not
    imported, as CSV lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(["line", "email", "outcome", "subscriber_id", "reason"])
    rows = parse_accounts(job.content)
    ids = job.subscriber_ids()
    for row, letter in zip(rows, job.outcomes.ljust(len(rows), "-"), strict=True):
        key = str(row.line)
        yield line(
            [
                row.line,
                spreadsheet_safe(row.values.get("email", "")),
                OUTCOME_LABELS.get(letter, "not imported yet"),
                ids.get(key, ""),
                spreadsheet_safe(job.problems.get(key, "")),
            ]
        )
