"""`csrtool numbers import FILE.csv` and `csrtool numbers export`: the bulk doors
of the number pool, as subcommands of the `numbers` command."""

from django.core.management.base import CommandError

from csrtool.commands import import_progress
from csrtool.csvfiles import upload_file_argument
from csrtool.numberpool.exports import export_numbers
from csrtool.numberpool.imports import (
    import_numbers,
    import_rows,
    preview_import,
)

ACTIONS = ("import", "export")


def add_parsers(command, sub) -> None:
    """Add the import and export subcommands to the `numbers` command's parser."""
    load = sub.add_parser(
        "import",
        help="Add many numbers from a CSV file "
        "(columns: number,dnis,type,country_code,area_code,subscriber_id).",
    )
    load.add_argument("file", help="The CSV file; - reads standard input.")
    load.add_argument("--partner", help="Partner slug (operator only).")
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="Only show what importing would do; write no number.",
    )
    dump = sub.add_parser(
        "export", help="Write the pool as CSV in the format import reads."
    )
    dump.add_argument("--partner", help="Partner slug (operator only).")
    dump.add_argument("--output", "-o", help="File to write; default standard out.")
    command.add_common_arguments(load, subcommand=True)
    command.add_common_arguments(dump, subcommand=True)


def handle(command, actor, options) -> None:
    if options["action"] == "import":
        _import(command, actor, options)
    else:
        _export(command, actor, options)


def _error_lines(rows) -> list[dict]:
    return [
        {"line": row.line, "number": row.number, "reason": row.reason} for row in rows
    ]


def _import(command, actor, options) -> None:
    partner = command.partner(options.get("partner"))
    with upload_file_argument(options["file"]) as upload:
        if options.get("dry_run"):
            job = preview_import(actor=actor, upload=upload, partner=partner)
        else:
            quiet = bool(options.get("json"))
            job = _run(actor, upload, partner, quiet=quiet).job
    if options.get("dry_run"):
        errors = _error_lines(import_rows(job, errors_only=True))
        summary = {
            "import_id": job.pk,
            "dry_run": True,
            "rows": job.total_rows,
            "will_add": job.planned_add,
            "already_present": job.planned_present,
            "errors": errors,
        }
        text = (
            f"{job.total_rows} rows: {job.planned_add} will be added, "
            f"{job.planned_present} already present, {len(errors)} with errors."
        )
    else:
        # Every row's reason, including rows an earlier interrupted run handled.
        errors = _error_lines(import_rows(job, errors_only=True))
        summary = {
            "import_id": job.pk,
            "status": job.status,
            "rows": job.total_rows,
            "added": job.added,
            "already_present": job.already_present,
            "errors": errors,
        }
        text = (
            f"{job.total_rows} rows: {job.added} added, "
            f"{job.already_present} already present, {len(errors)} with errors."
        )
    report_lines = [f"  line {e['line']}: {e['reason']}" for e in errors]
    command.emit(options, summary, "\n".join([text, *report_lines]))
    if errors:
        raise CommandError(
            f"{len(errors)} row{'s' if len(errors) != 1 else ''} could not be "
            "imported; fix them and import the file again (rows already added "
            "are skipped)."
        )


def _run(actor, upload, partner, *, quiet: bool):
    with import_progress(quiet=quiet) as advance:
        return import_numbers(
            actor=actor, upload=upload, partner=partner, progress=advance
        )


def _export(command, actor, options) -> None:
    lines = export_numbers(actor=actor, partner=command.partner(options.get("partner")))
    output = options.get("output")
    if not output:
        for line in lines:
            command.stdout.write(line, ending="")
        return
    count = -1
    with open(output, "w", encoding="utf-8", newline="") as file:
        for line in lines:
            file.write(line)
            count += 1
    command.stderr.write(f"Wrote {count} numbers to {output}.")
