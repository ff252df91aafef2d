"""What csrtool commands share: who acts, domain errors as a clean exit, --json."""

import argparse
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from csrtool.errors import DomainError, ValidationFailed
from csrtool.partners.access import Actor, cli_actor
from csrtool.partners.models import Partner, User
from csrtool.validation import canonical_email


class DomainCommand(BaseCommand):
    """A command over the services: `handle_domain` raises DomainError, we print it."""

    json_option = True

    def add_arguments(self, parser):
        self.add_common_arguments(parser)

    def add_common_arguments(self, parser, *, subcommand=False):
        """--as and --json; call it on each subparser too, so they work after it."""
        default = {"default": argparse.SUPPRESS} if subcommand else {}
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="EMAIL",
            help="Act as this member of staff (their partner and role apply). "
            "Without it the command acts as the platform operator.",
            **default,
        )
        if self.json_option:
            parser.add_argument(
                "--json",
                action="store_true",
                help="Print machine-readable JSON.",
                **default,
            )

    def actor(self, options) -> Actor:
        email = options.get("as_user")
        if not email:
            return cli_actor()
        try:
            user = User.objects.select_related("partner").get(
                email_canonical=canonical_email(email), is_active=True
            )
        except User.DoesNotExist:
            raise CommandError(
                f"No active member of staff has the email {email!r}."
            ) from None
        return cli_actor(as_user=user)

    def partner(self, slug: str | None) -> Partner | None:
        if not slug:
            return None
        try:
            return Partner.objects.get(slug=slug.strip().lower())
        except Partner.DoesNotExist:
            raise CommandError(f"No partner has the slug {slug!r}.") from None

    def emit(self, options, data, text: str):
        if options.get("json"):
            self.stdout.write(
                json.dumps(data, ensure_ascii=False, default=str, indent=2)
            )
        else:
            self.stdout.write(text)

    def handle(self, *args, **options):
        try:
            return self.handle_domain(*args, **options)
        except ValidationFailed as e:
            lines = [f"  {field}: {m}" for field, ms in e.errors.items() for m in ms]
            raise CommandError("invalid input:\n" + "\n".join(lines)) from None
        except DomainError as e:
            raise CommandError(e.message) from None

    def handle_domain(self, *args, **options):  # pragma: no cover
        raise NotImplementedError

    def read_stdin_secret(self) -> str:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise CommandError("Expected the password on standard input.")
        return value
