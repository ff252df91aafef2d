"""`csrtool subscribers import FILE.csv`, `import-invite ID` and `import-result ID`:
bulk onboarding from the command line, as subcommands of `subscribers`."""

from django.core.management.base import CommandError

from csrtool.commands import import_progress
from csrtool.csvfiles import read_file_argument
from csrtool.workflows import bulk_onboarding

ACTIONS = ("import", "import-invite", "import-result")


def add_parsers(command, sub) -> list:
    load = sub.add_parser(
        "import",
        help="Onboard many existing customers from a CSV file (columns: "
        + ",".join(bulk_onboarding.COLUMNS)
        + "; number and plan optional).",
    )
    load.add_argument("file", help="The CSV file; - reads standard input.")
    load.add_argument("--partner", help="Partner slug (operator only).")
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="Only show what importing would do, row by row; create nobody.",
    )
    load.add_argument(
        "--invite-later",
        action="store_true",
        help="Create the accounts without welcome emails; send them later with "
        "import-invite.",
    )
    invite = sub.add_parser(
        "import-invite",
        help="Send the welcome emails of an import made with --invite-later, at "
        "the partner's pace.",
    )
    invite.add_argument("import_id")
    result = sub.add_parser(
        "import-result",
        help="An import's result as CSV: each row's Subscriber ID or reason.",
    )
    result.add_argument("import_id")
    return [load, invite, result]


def handle(command, actor, options) -> None:
    action = options["action"]
    if action == "import":
        _import(command, actor, options)
    elif action == "import-invite":
        job = bulk_onboarding.send_invitations(
            actor=actor, import_id=options["import_id"]
        )
        command.emit(
            options,
            _summary(job),
            f"{job.invitations_queued} welcome emails queued, "
            f"{job.partner.invitations_per_minute} a minute.",
        )
    else:
        job = bulk_onboarding.get_import(actor=actor, import_id=options["import_id"])
        for line in bulk_onboarding.result_rows(job):
            command.stdout.write(line, ending="")


def _summary(job) -> dict:
    return {
        "import_id": job.pk,
        "status": job.status,
        "rows": job.total_rows,
        "added": job.added,
        "already_present": job.already_present,
        "failed": job.failed,
        "invite": "now" if job.invite_now else "later",
        "invitations_queued": job.invitations_queued,
    }


def _import(command, actor, options) -> None:
    text, name = read_file_argument(options["file"])
    partner = command.partner(options.get("partner"))
    invite_now = not options.get("invite_later")
    if options.get("dry_run"):
        job, rows = bulk_onboarding.preview_import(
            actor=actor,
            text=text,
            file_name=name,
            partner=partner,
            invite_now=invite_now,
        )
        errors = [{"line": r.line, "reason": r.reason} for r in rows if r.errors]
        present = [
            {"line": r.line, "subscriber_id": r.subscriber_id}
            for r in rows
            if r.outcome == bulk_onboarding.PRESENT
        ]
        summary = {
            "import_id": job.pk,
            "dry_run": True,
            "rows": job.total_rows,
            "will_add": job.planned_add,
            "already_present": present,
            "errors": errors,
        }
        text = (
            f"{job.total_rows} rows: {job.planned_add} will be added, "
            f"{len(present)} already present, {len(errors)} with errors."
        )
    else:
        job = _run(actor, text, name, partner, invite_now, bool(options.get("json")))
        errors = [
            {"line": int(line), "reason": reason}
            for line, reason in sorted(job.problems.items(), key=lambda p: int(p[0]))
        ]
        summary = {**_summary(job), "errors": errors}
        invites = (
            f"{job.invitations_queued} welcome emails queued, "
            f"{job.partner.invitations_per_minute} a minute."
            if job.invite_now
            else "No welcome email yet: send them with "
            f"csrtool subscribers import-invite {job.pk}."
        )
        text = (
            f"Import {job.pk}, {job.total_rows} rows: {job.added} added, "
            f"{job.already_present} already present, {len(errors)} with errors. "
            f"{invites}"
        )
    lines = [f"  line {e['line']}: {e['reason']}" for e in errors]
    command.emit(options, summary, "\n".join([text, *lines]))
    if errors:
        raise CommandError(
            f"{len(errors)} row{'s' if len(errors) != 1 else ''} could not be "
            "imported; fix them and import the file again (accounts already added "
            "are recognised and skipped)."
        )


def _run(actor, text, name, partner, invite_now, quiet):
    with import_progress(quiet=quiet) as advance:
        return bulk_onboarding.import_accounts(
            actor=actor,
            text=text,
            file_name=name,
            invite_now=invite_now,
            partner=partner,
            progress=advance,
        )
