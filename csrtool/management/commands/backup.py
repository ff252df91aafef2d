from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from csrtool import backups


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the whole database to FILE while the service "
        "keeps serving (SQLite: a database file; PostgreSQL: a pg_dump archive)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="Replace FILE if it exists."
        )

    def handle(self, *args, **options):
        try:
            kind = backups.backup(options["file"], force=options["force"])
        except backups.BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Backed up the {kind} database to {options['file']}.")
