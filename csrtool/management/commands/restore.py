from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from csrtool import backups


class Command(BaseCommand):
    help = (
        "Bring a backup made by `csrtool backup` back into the configured database, "
        "which must be empty unless --force is given. Stop the service first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace everything in a database that is not empty.",
        )

    def handle(self, *args, **options):
        try:
            kind = backups.restore(options["file"], force=options["force"])
        except backups.BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Restored the {kind} database from {options['file']}.")
