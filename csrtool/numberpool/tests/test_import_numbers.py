import gc
import threading
import tracemalloc

import pytest
from django.db import connection

from csrtool.audit.models import AuditEvent
from csrtool.csvfiles import Upload
from csrtool.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from csrtool.numberpool.imports import (
    Outcome,
    get_import,
    import_numbers,
    import_rows,
    jobs,
    preview_import,
    preview_range,
    run_import,
)
from csrtool.numberpool.models import (
    ImportStatus,
    NumberAssignment,
    NumberImportPiece,
    NumberStatus,
    PhoneNumber,
)
from csrtool.numberpool.tests.make import make_number

HEADER = "number,dnis,type,country_code,area_code,subscriber_id\n"


def csv_of(*lines):
    return HEADER + "".join(line + "\n" for line in lines)


def block(first, count, **extra):
    """CSV lines for toll-free numbers +1 800 555 <first>… ."""
    return [
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,{extra.get('sub', '')}"
        for n in range(first, first + count)
    ]


def crash(done, total):
    raise KeyboardInterrupt


def test_the_preview_shows_every_row_and_writes_no_number(cast, actor_of):
    make_number(cast.acme, "8005550101")
    make_number(cast.globex, "8005550102")
    text = csv_of(
        "+18005550100,8005550100,tollfree,1,800,",
        "+18005550101,8005550101,tollfree,1,800,",
        "+18005550102,8005550102,tollfree,1,800,",
        "+18005550103,9999,tollfree,1,800,",
        "+18005550100,8005550100,tollfree,1,800,",
        f"+18005550104,8005550104,tollfree,1,800,{cast.sam.public_id}",
        f"+18005550105,8005550105,tollfree,1,800,{cast.gus.public_id}",
    )

    job = preview_import(actor=actor_of(cast.alice), text=text, file_name="a.csv")

    rows = import_rows(job)
    assert [(row.line, row.outcome) for row in rows] == [
        (2, Outcome.WILL_ADD),
        (3, Outcome.ALREADY_PRESENT),
        (4, Outcome.ERROR),
        (5, Outcome.ERROR),
        (6, Outcome.ERROR),
        (7, Outcome.WILL_ADD),
        (8, Outcome.ERROR),
    ]
    reasons = {row.line: row.reason for row in rows if row.errors}
    assert (
        reasons[4] == "This phone number is already in the pool of this installation."
    )
    assert "DNIS 9999 does not match the number +18005550103" in reasons[5]
    assert reasons[6] == "The same number is also on line 2."
    assert reasons[8] == f"No subscriber has the Subscriber ID {cast.gus.public_id!r}."
    assert (job.planned_add, job.planned_present, job.planned_errors) == (2, 1, 4)
    assert job.status == ImportStatus.PREVIEWED
    assert PhoneNumber.objects.for_partner(cast.acme).count() == 1


def test_running_the_import_adds_the_valid_rows(cast, actor_of):
    alice = actor_of(cast.alice)
    text = csv_of(
        "+18005550100,8005550100,tollfree,1,800,",
        "+1 212 555 0101,2125550101,local,1,,",
        f"+18005550104,8005550104,tollfree,1,800,{cast.sam.public_id.upper()}",
        "not a number,1,tollfree,1,800,",
    )
    job = preview_import(actor=alice, text=text, file_name="pool.csv")

    report = run_import(actor=alice, import_id=job.pk)

    lines = {n.dnis: n for n in PhoneNumber.objects.for_partner(cast.acme)}
    assert set(lines) == {"8005550100", "2125550101", "8005550104"}
    assert lines["2125550101"].area_code == "212"
    assert lines["2125550101"].number_type == "local"
    assert lines["8005550100"].status == NumberStatus.AVAILABLE
    assert lines["8005550104"].status == NumberStatus.ASSIGNED
    assert lines["8005550104"].subscriber == cast.sam
    assert NumberAssignment.objects.get(number=lines["8005550104"]).subscriber == (
        cast.sam
    )
    assert all(line.imported_by == job for line in lines.values())
    assert [row.line for row in report.errors] == [5]
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    assert (job.added, job.already_present, job.failed) == (3, 0, 1)


def test_the_import_writes_one_audit_event_per_chunk(cast, actor_of, monkeypatch):
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    alice = actor_of(cast.alice)
    job = preview_import(actor=alice, text=csv_of(*block(100, 5)))

    run_import(actor=alice, import_id=job.pk)

    events = AuditEvent.objects.filter(target_id=str(job.pk)).order_by("id")
    assert [e.action for e in events] == [
        "number_import.previewed",
        "number.imported",
        "number.imported",
        "number.imported",
        "number_import.completed",
    ]
    assert events[1].after["lines"] == "2-3"
    assert events[1].after["added"] == 2
    assert events[1].after["first_dnis"] == "8005550100"
    assert events[4].after["added"] == 5
    assert all(e.partner == cast.acme for e in events)


def test_importing_the_same_file_twice_adds_nothing_new(cast, actor_of):
    alice = actor_of(cast.alice)
    text = csv_of(*block(100, 3))
    first = preview_import(actor=alice, text=text)
    run_import(actor=alice, import_id=first.pk)

    second = preview_import(actor=alice, text=text)
    run_import(actor=alice, import_id=second.pk)

    second.refresh_from_db()
    assert second.pk != first.pk
    assert (second.planned_add, second.planned_present) == (0, 3)
    assert (second.added, second.already_present) == (0, 3)
    assert PhoneNumber.objects.count() == 3


def test_running_a_completed_import_again_writes_nothing(cast, actor_of):
    alice = actor_of(cast.alice)
    job = preview_import(actor=alice, text=csv_of(*block(100, 3)))
    run_import(actor=alice, import_id=job.pk)
    events = AuditEvent.objects.count()

    report = run_import(actor=alice, import_id=job.pk)

    assert report.job.added == 3
    assert AuditEvent.objects.count() == events
    assert PhoneNumber.objects.count() == 3


def test_an_interrupted_import_continues_where_it_stopped(cast, actor_of, monkeypatch):
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    alice = actor_of(cast.alice)
    text = csv_of(*block(100, 5))
    job = preview_import(actor=alice, text=text)

    with pytest.raises(KeyboardInterrupt):
        run_import(actor=alice, import_id=job.pk, progress=crash)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.added) == (ImportStatus.RUNNING, 2, 2)

    again = preview_import(actor=alice, text=text)
    assert again.pk == job.pk
    run_import(actor=alice, import_id=again.pk)

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.added) == (ImportStatus.COMPLETED, 5, 5)
    assert PhoneNumber.objects.count() == 5


def test_a_previewed_import_shows_the_pool_as_it_is_now(cast, actor_of):
    alice = actor_of(cast.alice)
    text = csv_of(*block(100, 2))
    job = preview_import(actor=alice, text=text)
    make_number(cast.acme, "8005550100")

    again = preview_import(actor=alice, text=text)

    assert again.pk == job.pk
    assert (again.planned_add, again.planned_present) == (1, 1)


def test_a_number_added_after_the_preview_is_not_added_twice(cast, actor_of):
    alice = actor_of(cast.alice)
    job = preview_import(actor=alice, text=csv_of(*block(100, 2)))
    make_number(cast.globex, "8005550101")

    report = run_import(actor=alice, import_id=job.pk)

    assert report.job.added == 1
    assert [row.reason for row in report.errors] == [
        "This phone number is already in the pool of this installation."
    ]
    assert PhoneNumber.objects.get(dnis="8005550101").partner == cast.globex


def test_a_range_adds_a_whole_block(cast, actor_of):
    alice = actor_of(cast.alice)

    job = preview_range(
        actor=alice,
        first="+1 800 555 0100",
        last="+1 800 555 0199",
        number_type="tollfree",
    )
    run_import(actor=alice, import_id=job.pk)

    lines = PhoneNumber.objects.for_partner(cast.acme).in_order()
    assert lines.count() == 100
    assert (lines[0].number, lines[0].dnis, lines[0].area_code) == (
        "+18005550100",
        "8005550100",
        "800",
    )
    assert lines[99].number == "+18005550199"
    assert job.file_name == "Range +18005550100 to +18005550199"


def test_a_range_reads_numbers_in_the_partners_country(cast, actor_of):
    job = preview_range(
        actor=actor_of(cast.alice),
        first="800-555-0100",
        last="(800) 555-0101",
        number_type="tollfree",
    )

    assert job.planned_add == 2


def test_the_preview_checks_a_large_file_in_a_few_queries(
    cast, actor_of, django_assert_max_num_queries
):
    text = csv_of(*block(0, 2500))

    # On PostgreSQL the chunks' checks share a savepoint; on SQLite the page
    # cache is cut and put back: three more queries either way.
    with django_assert_max_num_queries(11):
        job = preview_import(actor=actor_of(cast.alice), text=text)

    assert job.planned_add == 2500


def test_an_import_holds_one_chunk_of_rows_at_a_time(cast, actor_of, monkeypatch):
    """The preview and the run read the file a chunk at a time: the rows in
    memory stay a chunk's worth, however long the file."""
    from csrtool.numberpool.imports import import_numbers, rows

    class Counted(rows.ImportRow):
        alive = 0

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            Counted.alive += 1

        def __del__(self):
            Counted.alive -= 1

    held = []
    real = jobs.classify

    def classify(chunk, *, partner):
        held.append(Counted.alive)
        return real(chunk, partner=partner)

    monkeypatch.setattr(jobs, "CHUNK_SIZE", 5)
    monkeypatch.setattr(rows, "ImportRow", Counted)
    monkeypatch.setattr(jobs, "ImportRow", Counted)
    monkeypatch.setattr(jobs, "classify", classify)

    report = import_numbers(actor=actor_of(cast.alice), text=csv_of(*block(0, 60)))

    assert (report.job.added, report.job.failed) == (60, 0)
    assert len(held) == 24  # each chunk checked by the preview, then by the run
    assert 5 <= max(held) <= 10


def test_a_file_stored_in_pieces_is_read_back_line_for_line(
    cast, actor_of, monkeypatch
):
    """A file is stored in pieces of whole lines; a run from the page, and
    the import's page, read the rows back from them exactly as uploaded."""
    monkeypatch.setattr(NumberImportPiece, "PIECE_SIZE", 50)
    monkeypatch.setattr(Upload, "BLOCK", 16)
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 3)
    lines = block(100, 8)
    lines[3:4] = ['"+1800555', '0103",8005550103,tollfree,1,800,']  # one value
    text = "".join(line + "\r\n" for line in [HEADER.strip(), *lines])
    alice = actor_of(cast.alice)

    job = preview_import(actor=alice, text=text)

    contents = list(
        NumberImportPiece.objects.filter(number_import=job)
        .order_by("position")
        .values_list("content", flat=True)
    )
    assert len(contents) > 3
    assert "".join(contents) == text
    assert all(piece.endswith("\r\n") for piece in contents)
    rows = import_rows(job)
    assert [row.line for row in rows] == [2, 3, 4, 6, 7, 8, 9, 10]
    assert rows[3].number == "+1800555\r\n0103"
    assert [row.line for row in rows if row.errors] == [6]

    run_import(actor=alice, import_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.added, job.failed) == (ImportStatus.COMPLETED, 7, 1)
    assert sorted(PhoneNumber.objects.values_list("dnis", flat=True)) == [
        f"800555{n:04d}" for n in range(100, 108) if n != 103
    ]


def test_a_stored_file_shorter_than_its_preview_stops_the_run(
    cast, actor_of, monkeypatch
):
    """A stored file that lost rows after its preview (its last piece gone) is
    not taken as done: the run writes the chunks it can read, then stops with
    the import unfinished, where a new preview starts over."""
    monkeypatch.setattr(NumberImportPiece, "PIECE_SIZE", 120)
    monkeypatch.setattr(Upload, "BLOCK", 16)
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    alice = actor_of(cast.alice)
    job = preview_import(actor=alice, text=csv_of(*block(100, 6)))
    pieces = NumberImportPiece.objects.filter(number_import=job).order_by("position")
    assert pieces.count() > 2
    pieces.last().delete()

    with pytest.raises(DomainError) as caught:
        run_import(actor=alice, import_id=job.pk)

    assert str(caught.value) == (
        "The import's file has fewer rows than the 6 its preview counted; "
        "preview the file again."
    )
    job.refresh_from_db()
    assert job.status != ImportStatus.COMPLETED
    assert 0 < job.rows_done < 6
    assert PhoneNumber.objects.filter(imported_by=job).count() == job.rows_done


def test_repeats_are_found_across_chunks_as_within_one(cast, actor_of, monkeypatch):
    lines = [
        *block(100, 3),
        "+18005550100,8005550100,tollfree,1,800,",  # line 5: line 2's number
        "+12079460000,2079460000,local,1,207,",
        "+442079460000,02079460000,local,44,20,",  # leading zero: a new DNIS
        "+1 207 946 0000,12079460000,local,1,207,",  # line 8: line 6's number
        "+44 800 555 0101,8005550101,tollfree,44,800,",  # line 9: line 3's DNIS
        *block(100, 1),  # line 10: line 2's number, not line 5's
    ]
    alice = actor_of(cast.alice)
    whole = preview_import(actor=alice, text=csv_of(*lines))
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)

    chunked = import_numbers(actor=alice, text=csv_of(*lines, *block(200, 1))).job

    repeats = {
        "5": "The same number is also on line 2.",
        "8": "The same number is also on line 6.",
        "9": "The same DNIS is also on line 3.",
        "10": "The same number is also on line 2.",
    }
    assert {line: whole.problems[line] for line in repeats} == repeats
    assert chunked.problems == whole.problems
    assert chunked.added == whole.planned_add + 1


def page_cache_size():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


def test_on_sqlite_an_import_works_through_a_small_page_cache_then_restores_it(
    cast, actor_of, monkeypatch
):
    """A large page cache would fill with the pages an import writes, so the
    import's memory would grow with its file; other work keeps the large one."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache; PostgreSQL's is the server's")
    during = []
    real = jobs.classify

    def classify(chunk, *, partner):
        during.append(page_cache_size())
        return real(chunk, partner=partner)

    monkeypatch.setattr(jobs, "classify", classify)
    alice = actor_of(cast.alice)
    before = page_cache_size()

    import_numbers(actor=alice, text=csv_of(*block(100, 2)))
    job = preview_import(actor=alice, text=csv_of(*block(200, 2)))
    assert page_cache_size() == before
    run_import(actor=alice, import_id=job.pk)

    assert during == [-jobs.IMPORT_CACHE_KIB] * 4  # 2 previews, 2 runs
    assert page_cache_size() == before < -jobs.IMPORT_CACHE_KIB
    assert PhoneNumber.objects.count() == 4


def test_it_needs_a_partner_admin(cast, actor_of):
    with pytest.raises(PermissionDenied):
        preview_import(actor=actor_of(cast.bob), text=csv_of(*block(100, 1)))


def test_the_operator_names_the_partner(cast, cli):
    with pytest.raises(NotFound):
        preview_import(actor=cli, text=csv_of(*block(100, 1)))

    job = preview_import(actor=cli, text=csv_of(*block(100, 1)), partner=cast.globex)

    assert job.partner == cast.globex


def test_another_partners_import_looks_unknown(cast, actor_of):
    job = preview_import(actor=actor_of(cast.alice), text=csv_of(*block(100, 1)))

    with pytest.raises(NotFound) as e:
        get_import(actor=actor_of(cast.gina), import_id=job.pk)
    with pytest.raises(NotFound) as unknown:
        get_import(actor=actor_of(cast.gina), import_id=job.pk + 1000)

    assert e.value.message.replace(str(job.pk), "N") == unknown.value.message.replace(
        str(job.pk + 1000), "N"
    )
    with pytest.raises(NotFound):
        run_import(actor=actor_of(cast.gina), import_id=job.pk)
    assert PhoneNumber.objects.count() == 0


def test_a_file_with_only_a_header_is_refused(cast, actor_of):
    with pytest.raises(ValidationFailed) as e:
        preview_import(actor=actor_of(cast.alice), text=HEADER)

    assert e.value.errors == {"file": ["The file has a header but no numbers."]}


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_import_write_every_number_once(cast, actor_of, monkeypatch):
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 3)
    alice = actor_of(cast.alice)
    job = preview_import(actor=alice, text=csv_of(*block(100, 30)))
    barrier = threading.Barrier(2)
    failures = []

    def run():
        try:
            barrier.wait()
            run_import(actor=alice, import_id=job.pk)
        except Exception as e:  # noqa: BLE001
            failures.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    job.refresh_from_db()
    assert (job.status, job.added, job.rows_done) == (ImportStatus.COMPLETED, 30, 30)
    assert PhoneNumber.objects.count() == 30
    assert AuditEvent.objects.filter(action="number.imported").count() == 10
    assert AuditEvent.objects.filter(action="number_import.completed").count() == 1


def test_importing_at_once_checks_each_row_once_and_continues_an_interrupted_import(
    cast, actor_of, monkeypatch
):
    from csrtool.numberpool.imports import import_numbers, rows

    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    alice = actor_of(cast.alice)
    text = csv_of(*block(100, 5), "+18005550100,8005550100,tollfree,1,800,")
    job = preview_import(actor=alice, text=text)
    with pytest.raises(KeyboardInterrupt):
        run_import(actor=alice, import_id=job.pk, progress=crash)
    checks = []
    real = rows.clean_line
    monkeypatch.setattr(rows, "clean_line", lambda **kw: checks.append(1) or real(**kw))

    report = import_numbers(actor=alice, text=text)

    assert report.job.pk == job.pk
    assert (report.job.added, report.job.failed) == (5, 1)
    assert len(checks) == 6
    assert PhoneNumber.objects.count() == 5


PARALLEL_COSTS = (
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
    "min_parallel_index_scan_size",
)


def test_the_numbers_already_in_the_pool_are_found_on_its_indexes(cast, actor_of):
    """Checking a chunk, in the preview and again as it is written, reads the
    pool's number and DNIS indexes, never the pool: with a million numbers a
    scan took a third of a second a chunk. It runs in one process: parallel
    workers took longer to start than the lookup takes."""

    from csrtool.subscribers.tests.test_lookup_index import _plans

    PhoneNumber.objects.bulk_create(
        PhoneNumber(
            partner=cast.acme,
            number=f"+1800555{n:04d}",
            dnis=f"800555{n:04d}",
            number_type="tollfree",
            country_code="1",
            area_code="800",
        )
        for n in range(2000)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE numberpool_phonenumber")
            cursor.execute("SET enable_seqscan = off")
            # Parallel workers made free: the check still runs in one process.
            for setting in PARALLEL_COSTS:
                cursor.execute(f"SET {setting} = 0")
    text = csv_of(*block(1990, 20))
    alice = actor_of(cast.alice)

    with _plans() as plans:
        job = preview_import(actor=alice, text=text)
        if connection.vendor == "postgresql":
            # The test's own transaction holds the preview's setting: undone.
            with connection.cursor() as cursor:
                cursor.execute("RESET max_parallel_workers_per_gather")
        report = run_import(actor=alice, import_id=job.pk)

    assert (report.job.already_present, report.job.added) == (10, 10)
    if connection.vendor == "postgresql":
        # Each side is a lookup on its column's index, not a filter over the
        # pool (which PostgreSQL may walk in another index's order: a scan too).
        checks = [p for p in plans if "(dnis)::text = ANY" in p]
        wanted = ("(number)::text = ANY", "(dnis)::text = ANY")
        condition = "Index Cond"
    else:
        checks = [p for p in plans if "(number=?)" in p]
        wanted = ("(number=?)", "(dnis=?)")
        condition = "SEARCH"
    assert len(checks) == 2  # the preview's check, then the write's
    for plan in checks:
        conditions = [line for line in plan.splitlines() if condition in line]
        for side in wanted:
            assert any(side in line for line in conditions), plan
        assert "SCAN numberpool_phonenumber" not in plan, plan
        assert "Seq Scan on numberpool_phonenumber" not in plan, plan
        assert "Gather" not in plan, plan


def test_an_import_keeps_none_of_its_file_once_written(cast, actor_of, monkeypatch):
    """The file's pieces, each chunk's numbers and the outcomes go to the
    database with their values apart from the statements' text: the driver
    keeps the text of the last hundred statements a connection ran, which
    would otherwise hold a long file's megabytes after its import (PostgreSQL;
    SQLite's driver binds values apart anyway)."""
    from csrtool.numberpool.imports import import_numbers

    monkeypatch.setattr(NumberImportPiece, "PIECE_SIZE", 4000)
    alice = actor_of(cast.alice)
    import_numbers(actor=alice, text=csv_of(*block(0, 100)))  # caches warmed
    text = csv_of(*block(1000, 9000))

    gc.collect()
    tracemalloc.start()
    try:
        report = import_numbers(actor=alice, text=text)
        del report
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # What stays is the driver's and Django's own bookkeeping.
    assert kept < len(text) // 4
