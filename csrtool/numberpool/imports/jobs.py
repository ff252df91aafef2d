"""Bulk add against the database: classify rows a chunk at a time, record the
preview on a NumberImport, then write chunk by chunk, resumably."""

import contextlib
import dataclasses
import functools
import itertools
import operator
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from csrtool.audit.services import record
from csrtool.bulkinsert import insert_many
from csrtool.crashpoints import crash_point
from csrtool.csvfiles import Upload
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.numberpool.imports.rows import (
    FirstLines,
    ImportRow,
    Outcome,
    check_fields,
    expand_range,
    iter_csv,
    range_csv,
)
from csrtool.numberpool.lines import region_for
from csrtool.numberpool.models import (
    FTS_INSERT_TRIGGER,
    FTS_TABLE,
    ImportStatus,
    NumberAssignment,
    NumberImport,
    NumberImportPiece,
    NumberStatus,
    PhoneNumber,
)
from csrtool.numberpool.services import DNIS_TAKEN, NUMBER_TAKEN
from csrtool.partners.access import Actor
from csrtool.partners.models import Partner
from csrtool.prepared import rows_apart, update_apart
from csrtool.subscribers.models import Status as SubscriberStatus
from csrtool.subscribers.models import Subscriber

CHUNK_SIZE = 2000


def classify(rows: list[ImportRow], *, partner: Partner) -> dict[str, Subscriber]:
    """Will add, already present or error, for rows whose fields passed: one
    query for the numbers and DNIS already in the pool, one for subscribers.

    Returns the subscribers named by rows that will be added.
    """
    candidates = [row for row in rows if not row.errors]
    if not candidates:
        return {}
    existing = PhoneNumber.objects.with_number_or_dnis(
        [row.number for row in candidates], [row.dnis for row in candidates]
    ).values_list("partner_id", "number", "dnis", "status", "subscriber__public_id")
    by_number, by_dnis = {}, {}
    for line in rows_apart(existing):
        by_number[line[1]] = line
        by_dnis[line[2]] = line
    wanted = {row.subscriber_id for row in candidates if row.subscriber_id}
    subscribers = {}
    if wanted:
        subscribers = {
            subscriber.public_id: subscriber
            for subscriber in Subscriber.objects.for_partner(partner).filter(
                public_id__in=wanted
            )
        }
    for row in candidates:
        row.outcome = Outcome.ERROR
        line = by_number.get(row.number)
        if line is not None and line[0] != partner.pk:
            row.errors.append(NUMBER_TAKEN)
        elif line is not None and line[2] != row.dnis:
            row.errors.append(
                f"This number is already in your pool, as DNIS {line[2]}."
            )
        elif line is not None:
            owner = line[4] if line[3] == NumberStatus.ASSIGNED else ""
            if row.subscriber_id and row.subscriber_id != owner:
                row.errors.append(
                    "This number is already in your pool, "
                    + (f"assigned to {owner}." if owner else "not assigned.")
                )
            else:
                row.outcome = Outcome.ALREADY_PRESENT
        elif row.dnis in by_dnis:
            row.errors.append(DNIS_TAKEN)
        elif row.subscriber_id and row.subscriber_id not in subscribers:
            row.errors.append(
                f"No subscriber has the Subscriber ID {row.subscriber_id[:40]!r}."
            )
        elif (
            row.subscriber_id
            and subscribers[row.subscriber_id].status == SubscriberStatus.CLOSED
        ):
            row.errors.append(
                f"The account {row.subscriber_id} is closed; a closed account "
                "cannot get a number."
            )
        else:
            row.outcome = Outcome.WILL_ADD
    return subscribers


@contextlib.contextmanager
def _in_one_process():
    """On PostgreSQL, a transaction (or savepoint) whose queries are planned
    without parallel workers, for `classify`.

    A chunk's check probes the pool's two unique indexes a few thousand times,
    a few milliseconds of work that the planner would split over parallel
    workers, which take longer to start than the work takes."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


# On SQLite, the page cache an import reads and writes through (see _small_cache).
IMPORT_CACHE_KIB = 8192


@contextlib.contextmanager
def _small_cache():
    """On SQLite, the connection's page cache cut to IMPORT_CACHE_KIB while an
    import reads and writes, then put back.

    Each page an import writes is one it will not read again, and the numbers it
    looks up are spread over the pool's indexes: a large cache would only keep
    pages that are not needed again, filling up as the file goes on, so the
    memory an import takes would grow with the file. The operating system's
    own cache of the database file still serves those reads."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (size,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(size)}")


def checked_chunks(
    lines: str | Iterable[str], *, partner: Partner
) -> Iterator[list[ImportRow]]:
    """A file's rows (of its text or its lines), CHUNK_SIZE at a time, each
    row's own checks done (its fields, and repeats of earlier rows): read as
    they are needed, so a file of any length holds one chunk of rows in memory."""
    region = region_for(partner)
    rows = iter_csv(lines)
    empty = True
    with FirstLines() as first_lines:
        while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
            empty = False
            check_fields(chunk, region=region, first_lines=first_lines)
            yield chunk
    if empty:
        raise ValidationFailed({"file": ["The file has a header but no numbers."]})


class _Spill:
    """A file's checked rows on disk between the preview and a run in the same
    call (the CLI, the API), so the run need not check them again and memory
    holds one chunk: a chunk is pickled as the preview checks it (each row as
    a tuple of its fields, several times faster to write and read back than the
    row itself) and read back as the run reaches it. See `_spilled`."""

    _fields = operator.attrgetter(*(f.name for f in dataclasses.fields(ImportRow)))

    def __init__(self, file):
        self._file = file

    def add(self, chunk: list[ImportRow]) -> None:
        values = [self._fields(row) for row in chunk]
        pickle.dump(values, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def chunks(self) -> Iterator[list[ImportRow]]:
        self._file.seek(0)
        while True:
            try:
                # Our own rows, written by this process a moment ago.
                values = pickle.load(self._file)  # noqa: S301
            except EOFError:
                return
            yield [ImportRow(*fields) for fields in values]


@contextlib.contextmanager
def _spilled() -> Iterator[_Spill]:
    """A spill on an anonymous temporary file, gone when the block ends."""
    with tempfile.TemporaryFile() as file:
        yield _Spill(file)


class _Ahead:
    """Rows taken from chunks in file order, forward only: an import's
    `rows_done` only ever moves forward, so what lies before it is dropped."""

    def __init__(self, chunks: Iterable[list[ImportRow]]):
        self._chunks = iter(chunks)
        self._rows: list[ImportRow] = []
        self._first = 0  # the position in the file of self._rows[0]

    def take(self, start: int, count: int) -> list[ImportRow]:
        if start < self._first:
            raise ValueError("An import's rows are read forward only.")
        while self._first + len(self._rows) < start + count:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            if self._first + len(self._rows) + len(chunk) <= start:
                self._first += len(self._rows) + len(chunk)
                self._rows = []
            else:
                self._rows.extend(chunk)
        del self._rows[: start - self._first]
        self._first = start
        return self._rows[:count]


def _summarise(rows: list[ImportRow]) -> tuple[str, dict[str, str]]:
    letters = {Outcome.WILL_ADD: "a", Outcome.ALREADY_PRESENT: "p", Outcome.ERROR: "e"}
    outcomes = "".join(letters[row.outcome] for row in rows)
    problems = {str(row.line): row.reason for row in rows if row.errors}
    return outcomes, problems


def get_import(*, actor: Actor, import_id) -> NumberImport:
    actor.require("pool.manage")
    try:
        return NumberImport.objects.for_actor(actor).get(pk=int(import_id))
    except (NumberImport.DoesNotExist, TypeError, ValueError):
        raise NotFound(f"No import has the ID {str(import_id)[:20]!r}.") from None


@dataclass
class ImportReport:
    job: NumberImport
    errors: list[ImportRow]


def preview_import(
    *,
    actor: Actor,
    text: str | None = None,
    upload: Upload | None = None,
    file_name: str = "",
    partner: Partner | None = None,
    now: datetime | None = None,
) -> NumberImport:
    """Check every row of a file (its `text`, or an `upload` named as it was
    uploaded) and record what importing would do; write no number.

    The same file previewed again while its import is open gives the same
    import, so an interrupted import continues instead of starting over.
    """
    with _opened(text, upload, file_name) as upload, _small_cache():
        return _preview(actor, upload, partner, now)


def import_numbers(
    *,
    actor: Actor,
    text: str | None = None,
    upload: Upload | None = None,
    file_name: str = "",
    partner: Partner | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Preview and run at once (the CLI and the API), checking each row's
    fields once."""
    with (
        _opened(text, upload, file_name) as upload,
        _spilled() as spill,
        _small_cache(),
    ):
        job = _preview(actor, upload, partner, now, spill=spill)
        return _run(actor, job, spill.chunks(), now or timezone.now(), progress)


@contextlib.contextmanager
def _opened(text, upload, file_name) -> Iterator[Upload]:
    """The upload given, or the text as one (closed after)."""
    if upload is not None:
        yield upload
        return
    with Upload.from_text(text, name=file_name) as upload:
        yield upload


def _preview(actor, upload: Upload, partner, now, spill=None):
    actor.require("pool.manage")
    partner = actor.require_partner(partner)
    now = now or timezone.now()
    letters, problems, total = [], {}, 0
    may_assign = False
    with _in_one_process():
        for chunk in checked_chunks(upload.lines(), partner=partner):
            if not may_assign and any(row.subscriber_id for row in chunk):
                actor.require("numbers.assign")
                may_assign = True
            if spill is not None:
                # As checked: a run classifies the rows again, in its chunks.
                spill.add(chunk)
            classify(chunk, partner=partner)
            chunk_outcomes, chunk_problems = _summarise(chunk)
            letters.append(chunk_outcomes)
            problems.update(chunk_problems)
            total += len(chunk)
    outcomes = "".join(letters)
    planned = {
        "planned_add": outcomes.count("a"),
        "planned_present": outcomes.count("p"),
        "planned_errors": outcomes.count("e"),
    }
    digest = upload.sha256
    with transaction.atomic():
        job = (
            NumberImport.objects.for_partner(partner)
            .open()
            .filter(file_hash=digest)
            .select_for_update()
            .first()
        )
        if job is not None:
            if job.status == ImportStatus.PREVIEWED:
                # Nothing written yet: the preview shows the pool as it is now.
                job.outcomes, job.problems = outcomes, problems
                for name, value in planned.items():
                    setattr(job, name, value)
                job.updated_at = now
                job.save(update_fields=["outcomes", "problems", *planned, "updated_at"])
            return job
        job = NumberImport.objects.create(
            partner=partner,
            created_by=actor.user,
            created_by_label=actor.label[:300],
            file_name=str(upload.name or "")[:200],
            file_hash=digest,
            total_rows=total,
            outcomes=outcomes,
            problems=problems,
            created_at=now,
            updated_at=now,
            **planned,
        )
        for position, piece in enumerate(upload.pieces(NumberImportPiece.PIECE_SIZE)):
            # Not .create(): see _store_piece.
            _store_piece(job, position, piece)
        record(
            actor=actor,
            action="number_import.previewed",
            target_type="number_import",
            target_id=str(job.pk),
            target_label=str(job),
            partner=partner,
            after={"file_name": job.file_name, "rows": total, **planned},
        )
    return job


def _store_piece(job: NumberImport, position: int, piece: str) -> None:
    """One piece of an import's file, written with its text apart from the SQL
    (COPY on PostgreSQL).

    Django's PostgreSQL cursor quotes values into the statement's text, and
    the driver keeps the text of the last hundred statements a connection ran
    (to count them for preparing): a file's megabyte pieces would stay in
    memory long after they were written, more of them the longer the file."""
    insert_many(
        NumberImportPiece,
        [NumberImportPiece(number_import=job, position=position, content=piece)],
    )


def run_import(
    *,
    actor: Actor,
    import_id,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Write the rows that will add, chunk by chunk, from where the import stands.

    Each chunk is claimed by moving `rows_done` with a conditional UPDATE in the
    chunk's own transaction, so two runs of one import never write a chunk twice,
    and a run cut short leaves a consistent import that the next run continues.
    """
    actor.require("pool.manage")
    job = get_import(actor=actor, import_id=import_id)
    # Before the first chunk is written: one more reading of the file, its
    # fields unchecked, where a run from the page may be another member of staff.
    if any(row.subscriber_id for row in iter_csv(job.lines())):
        actor.require("numbers.assign")
    chunks = checked_chunks(job.lines(), partner=job.partner)
    with _small_cache():
        return _run(actor, job, chunks, now or timezone.now(), progress)


def start_import(
    *, actor: Actor, import_id, now: datetime | None = None
) -> NumberImport:
    """Hand the writing of an import to a background job (the page's Import and
    Continue): the request returns at once and the page follows its progress.

    Starting an import whose job is still queued or running changes nothing.
    """
    from csrtool.numberpool.tasks import write_number_import

    actor.require("pool.manage")
    now = now or timezone.now()
    job = get_import(actor=actor, import_id=import_id)
    if job.status == ImportStatus.COMPLETED or import_in_progress(job):
        return job
    if actor.user is None:
        raise DomainError("Start the import from the CLI: numbers import FILE.csv.")
    with transaction.atomic():
        task = write_number_import.enqueue(job.pk, actor.user.pk)
        started = NumberImport.objects.filter(pk=job.pk, task_id=job.task_id).update(
            task_id=task.id, updated_at=now
        )
        if not started:
            # Another click started it a moment ago; its job does the work.
            transaction.set_rollback(True)
            job.refresh_from_db()
            return job
        record(
            actor=actor,
            action="number_import.started",
            target_type="number_import",
            target_id=str(job.pk),
            target_label=str(job),
            partner=job.partner,
            after={"rows_done": job.rows_done, "total_rows": job.total_rows},
        )
    job.refresh_from_db()
    return job


def import_in_progress(job: NumberImport) -> bool:
    """Whether the import's background job is waiting for a worker or running."""
    from django_tasks.base import TaskResultStatus
    from django_tasks.exceptions import TaskResultDoesNotExist

    from csrtool.numberpool.tasks import write_number_import

    if not job.task_id or job.status == ImportStatus.COMPLETED:
        return False
    try:
        result = write_number_import.get_result(job.task_id)
    except TaskResultDoesNotExist:
        return False
    return result.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING)


# What a run re-reads between chunks (not the file itself, which can be megabytes).
_PROGRESS = ["rows_done", "total_rows", "status"]


def _run(actor, job, chunks, now, progress) -> ImportReport:
    rows = _Ahead(chunks)
    errors: list[ImportRow] = []
    while job.rows_done < job.total_rows:
        start = job.rows_done
        chunk = rows.take(start, CHUNK_SIZE)
        if not chunk:
            raise DomainError(
                f"The import's file has fewer rows than the {job.total_rows:,} "
                "its preview counted; preview the file again."
            )
        if not _write_chunk(actor, job, chunk, start, now):
            job.refresh_from_db(fields=_PROGRESS)
            continue
        errors.extend(row for row in chunk if row.errors)
        job.refresh_from_db(fields=_PROGRESS)
        if progress is not None:
            progress(job.rows_done, job.total_rows)
    _finish(actor, job, now)
    job.refresh_from_db()
    return ImportReport(job=job, errors=errors)


def _write_chunk(actor, job, chunk, start, now, attempts=3) -> bool:
    end = start + len(chunk)
    checked = [(row, list(row.errors), row.outcome) for row in chunk]
    for attempt in range(attempts):
        for row, errors, outcome in checked:
            row.errors, row.outcome = list(errors), outcome
        try:
            with transaction.atomic():
                claimed = (
                    NumberImport.objects.filter(pk=job.pk, rows_done=start)
                    .exclude(status=ImportStatus.COMPLETED)
                    .update(rows_done=end, status=ImportStatus.RUNNING, updated_at=now)
                )
                if not claimed:
                    return False
                _write_rows(actor, job, chunk, start, now)
            crash_point("import.chunk_written")
            return True
        except IntegrityError:
            # Someone added one of these numbers after the chunk was checked;
            # check it again: that row is now present or taken.
            if attempt == attempts - 1:
                raise
    return False


def _write_rows(actor, job, chunk, start, now) -> None:
    with _in_one_process():
        subscribers = classify(chunk, partner=job.partner)
    adding = [row for row in chunk if row.outcome == Outcome.WILL_ADD]
    owners = {
        row.dnis: subscribers[row.subscriber_id] for row in adding if row.subscriber_id
    }
    _insert_numbers(job, adding, owners, now)
    if owners:
        ids = PhoneNumber.objects.filter(
            imported_by=job, dnis__in=list(owners)
        ).values_list("dnis", "pk")
        NumberAssignment.objects.bulk_create(
            [
                NumberAssignment(
                    number_id=pk,
                    subscriber=owners[dnis],
                    assigned_at=now,
                    assigned_by=actor.user,
                    assigned_by_label=actor.label[:300],
                )
                for dnis, pk in ids
            ],
        )
    outcomes, problems = _summarise(chunk)
    present = outcomes.count("p")
    failed = outcomes.count("e")
    job.refresh_from_db(fields=["outcomes", "problems"])
    merged = {**job.problems}
    for row in chunk:
        merged.pop(str(row.line), None)
    merged.update(problems)
    update_apart(
        NumberImport.objects.filter(pk=job.pk),
        added=F("added") + len(adding),
        already_present=F("already_present") + present,
        failed=F("failed") + failed,
        outcomes=job.outcomes[:start] + outcomes + job.outcomes[start + len(chunk) :],
        problems=merged,
    )
    record(
        actor=actor,
        action="number.imported",
        target_type="number_import",
        target_id=str(job.pk),
        target_label=str(job),
        partner=job.partner,
        after={
            "lines": f"{chunk[0].line}-{chunk[-1].line}",
            "added": len(adding),
            "assigned": len(owners),
            "already_present": present,
            "errors": failed,
            "first_dnis": adding[0].dnis if adding else None,
            "last_dnis": adding[-1].dnis if adding else None,
        },
    )


_INSERTED = (
    "partner",
    "number",
    "dnis",
    "number_type",
    "country_code",
    "area_code",
    "status",
    "subscriber",
    "imported_by",
    "created_at",
    "updated_at",
)


def _insert_numbers(job, rows, owners: dict[str, Subscriber], now) -> None:
    """Insert a chunk's new numbers with one COPY on PostgreSQL, one
    executemany elsewhere; on SQLite, fill the search index for them with one
    INSERT … SELECT.

    The ORM's bulk_create prepares every value of every row in Python, which
    cost more than everything else an import does; these rows were checked
    already and hold only strings, ids and one timestamp. On SQLite the search
    index's insert trigger (see migration 0002) more than doubled the insert's
    own cost, so the chunk's transaction drops it and creates it again from its
    stored definition: SQLite's schema changes are transactional, so no other
    connection ever sees the table without it, and a failed chunk rolls back to
    the trigger as it was.
    """
    if not rows:
        return
    statements = _insert_statements()
    stamp = connection.ops.adapt_datetimefield_value(now)
    values = []
    for row in rows:
        owner = owners.get(row.dnis)
        values.append(
            (
                job.partner_id,
                row.number,
                row.dnis,
                row.type,
                row.country_code,
                row.area_code,
                NumberStatus.ASSIGNED if owner else NumberStatus.AVAILABLE,
                owner.pk if owner else None,
                job.pk,
                stamp,
                stamp,
            )
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream for the chunk, several times faster than an
            # INSERT per row; same constraints, indexes and transaction.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(statements["copy"]) as copy,
            ):
                for row in values:
                    copy.write_row(row)
            return
        if connection.vendor != "sqlite":
            cursor.executemany(statements["insert"], values)
            return
        cursor.execute(statements["trigger"], [FTS_INSERT_TRIGGER])
        (trigger,) = cursor.fetchone()
        # The transaction holds SQLite's write lock: every row above the current
        # highest id is one of this chunk's.
        cursor.execute(statements["last_id"])
        (last_id,) = cursor.fetchone()
        cursor.execute(f'DROP TRIGGER "{FTS_INSERT_TRIGGER}"')
        cursor.executemany(statements["insert"], values)
        cursor.execute(statements["index"], [last_id])
        cursor.execute(trigger)


@functools.cache
def _insert_statements() -> dict[str, str]:
    """The SQL of `_insert_numbers`: identifiers from the model, values bound."""
    meta = PhoneNumber._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    dnis = quote(meta.get_field("dnis").column)
    columns = ", ".join(quote(meta.get_field(name).column) for name in _INSERTED)
    placeholders = ", ".join(["%s"] * len(_INSERTED))
    return {
        "insert": f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608
        "copy": f"COPY {table} ({columns}) FROM STDIN",
        "last_id": f"SELECT COALESCE(MAX({pk}), 0) FROM {table}",  # noqa: S608
        "index": f"INSERT INTO {FTS_TABLE}(rowid, dnis) "  # noqa: S608
        f"SELECT {pk}, {dnis} FROM {table} WHERE {pk} > %s",
        "trigger": "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
    }


def _finish(actor, job, now) -> None:
    with transaction.atomic():
        finished = (
            NumberImport.objects.filter(pk=job.pk, rows_done=F("total_rows"))
            .exclude(status=ImportStatus.COMPLETED)
            .update(status=ImportStatus.COMPLETED, finished_at=now, updated_at=now)
        )
        if not finished:
            return
        job.refresh_from_db()
        record(
            actor=actor,
            action="number_import.completed",
            target_type="number_import",
            target_id=str(job.pk),
            target_label=str(job),
            partner=job.partner,
            after={
                "rows": job.total_rows,
                "added": job.added,
                "already_present": job.already_present,
                "errors": job.failed,
            },
        )


def preview_range(
    *,
    actor: Actor,
    first: str,
    last: str,
    number_type: str,
    area_code: str = "",
    partner: Partner | None = None,
    now: datetime | None = None,
) -> NumberImport:
    """A block of numbers, first to last, previewed like a file of them."""
    actor.require("pool.manage")
    partner = actor.require_partner(partner)
    numbers = expand_range(first, last, region=region_for(partner))
    return preview_import(
        actor=actor,
        text=range_csv(numbers, number_type=number_type, area_code=area_code),
        file_name=f"Range {numbers[0]} to {numbers[-1]}",
        partner=partner,
        now=now,
    )


_LETTERS = {"a": Outcome.WILL_ADD, "p": Outcome.ALREADY_PRESENT, "e": Outcome.ERROR}


class RecordedRows:
    """An import's rows as uploaded, each with its recorded outcome and reason,
    or only those with an error, for a Paginator: counted from the recorded
    outcomes, and a slice read from the stored file only as far as it goes."""

    def __init__(self, job: NumberImport, *, errors_only: bool = False):
        self.job = job
        self.errors_only = errors_only

    def count(self) -> int:
        if self.errors_only:
            return self.job.outcomes.count("e")
        return len(self.job.outcomes)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[ImportRow]:
        if not isinstance(index, slice) or (index.step or 1) != 1:
            raise TypeError("Recorded rows are read a slice at a time.")
        job = self.job
        positions = range(len(job.outcomes))
        if self.errors_only:
            positions = (n for n, letter in enumerate(job.outcomes) if letter == "e")
        wanted = list(itertools.islice(positions, index.start, index.stop))
        if not wanted:
            return []  # without reading (and parsing) the file
        rows, taken = [], set(wanted)
        for position, row in enumerate(iter_csv(job.lines())):
            if position > wanted[-1]:
                break
            if position in taken:
                letter = job.outcomes[position]
                row.outcome = _LETTERS[letter]
                row.errors = [job.problems[str(row.line)]] if letter == "e" else []
                rows.append(row)
        return rows


def import_rows(job: NumberImport, *, errors_only: bool = False) -> list[ImportRow]:
    """The import's rows as uploaded, each with its recorded outcome and reason."""
    return RecordedRows(job, errors_only=errors_only)[:]
