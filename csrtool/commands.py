"""What csrtool commands share: who acts, domain errors as a clean exit, --json."""

import argparse
import contextlib
import json
import os
import sys
import zoneinfo

from django.core.management.base import (
    BaseCommand,
    CommandError,
    handle_default_options,
)
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.utils import timezone

from csrtool import timezones
from csrtool.errors import DomainError, ValidationFailed
from csrtool.partners.access import Actor, cli_actor
from csrtool.partners.models import Partner, User
from csrtool.validation import canonical_email, refused_character

LIMIT_MAX = 500
# How many partner slugs an error message lists before it stops.
SLUGS_SHOWN = 20


class _JSONEncoder(DjangoJSONEncoder):
    """The API's JSON (moments in RFC 3339, UTC: 2026-12-03T03:37:30.120Z), and
    anything else as its text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


class CliError(CommandError):
    """A refusal as the command line reports it: a message, the stable code the
    API would give, and each field's messages when several failed."""

    def __init__(
        self, message: str, *, code: str = "invalid", errors=None, summary="", **kw
    ):
        super().__init__(message, **kw)
        self.code = code
        self.errors = errors or {}
        self.summary = summary or message


def limit(value: str) -> int:
    """An argparse type for --limit: a whole number from 1 to LIMIT_MAX."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {LIMIT_MAX}, not {value!r}"
        ) from None
    if not 1 <= number <= LIMIT_MAX:
        raise argparse.ArgumentTypeError(f"must be from 1 to {LIMIT_MAX}, not {number}")
    return number


@contextlib.contextmanager
def import_progress(*, quiet: bool):
    """A progress bar on standard error while a bulk import runs ("Checking
    rows", then "Importing N/M"); yields the `progress(done, total)` callback."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(file=sys.stderr, quiet=quiet)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Checking rows", total=None)

        def advance(done, total):
            progress.update(task, description="Importing", total=total, completed=done)

        yield advance


def json_error(error: CommandError) -> str:
    data = {
        "error": getattr(error, "summary", str(error)),
        "code": getattr(error, "code", "invalid"),
    }
    if getattr(error, "errors", None):
        data["errors"] = error.errors
    return json.dumps(data, ensure_ascii=False)


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
                help="Print machine-readable JSON; errors too, on standard error.",
                **default,
            )

    def run_from_argv(self, argv):
        """Errors end the command with a message on standard error and a non-zero
        status; with --json the message is one JSON object, mistyped options
        included."""
        as_json = self.json_option and "--json" in argv[2:]
        # Marked as called from the command line, a parse error prints the usage
        # and exits; unmarked (for --json), it raises CommandError instead.
        self._called_from_command_line = not as_json
        parser = self.create_parser(argv[0], argv[1])
        options = None
        try:
            try:
                options = parser.parse_args(argv[2:])
            except CommandError as e:
                raise CliError(str(e).removeprefix("Error: "), code="usage") from None
            self._called_from_command_line = True
            cmd_options = vars(options)
            args = cmd_options.pop("args", ())
            handle_default_options(options)
            self.execute(*args, **cmd_options)
        except CommandError as e:
            if getattr(options, "traceback", False):
                raise
            if as_json:
                sys.stderr.write(json_error(e) + "\n")
            else:
                sys.stderr.write(f"csrtool {argv[1]}: {e}\n")
            sys.exit(2 if getattr(e, "code", "") == "usage" else e.returncode)
        finally:
            connections.close_all()

    def execute(self, *args, **options):
        """Refuse arguments no person types (control characters; lone surrogates,
        which is how undecodable bytes arrive) before anything runs."""
        for name, value in [("", arg) for arg in args] + list(options.items()):
            for text in value if isinstance(value, list | tuple) else [value]:
                reason = isinstance(text, str) and refused_character(text)
                if reason:
                    where = f"The value of {name}" if name else "An argument"
                    raise CliError(f"{where} {reason}.", code="invalid_characters")
        return super().execute(*args, **options)

    def actor(self, options) -> Actor:
        self.acting = self._actor(options)
        return self.acting

    def _actor(self, options) -> Actor:
        email = options.get("as_user")
        if not email:
            self._actor = cli_actor()
            return self._actor
        try:
            user = User.objects.select_related("partner").get(
                email_canonical=canonical_email(email), is_active=True
            )
        except User.DoesNotExist:
            raise CliError(
                f"No active member of staff has the email {email!r}.",
                code="unknown_staff",
            ) from None
        self._actor = cli_actor(as_user=user)
        self.show_times_in(user.effective_time_zone)
        return self._actor

    def show_times_in(self, zone: str):
        """Text output gives moments in this zone, as the pages do for its owner."""
        if timezones.is_valid_zone(zone):
            timezone.activate(zoneinfo.ZoneInfo(zone))

    def when(self, value) -> str:
        """A moment in the viewer's zone and format: the --as member of staff's
        zone, else the TZ environment variable's, else UTC."""
        return timezones.viewer_datetime(value) if value else ""

    def partner(self, slug: str | None) -> Partner | None:
        """The partner a --partner slug names, among those the actor may see: another
        partner's slug answers exactly like a slug nobody has."""
        if not slug:
            return None
        partners = Partner.objects.all()
        acting = getattr(self, "acting", None)
        if acting is not None and not acting.is_operator:
            partners = partners.filter(pk=acting.partner.pk)
        try:
            return partners.get(slug=slug.strip().lower())
        except Partner.DoesNotExist:
            raise CliError(
                f"No partner has the slug {slug!r}. {self.partner_choices()}",
                code="not_found",
            ) from None

    def partner_choices(self) -> str:
        """Which --partner values the acting person may use, for error messages."""
        actor = getattr(self, "_actor", None)
        if actor is not None and not actor.is_operator:
            return f"Use --partner {actor.partner.slug}."
        slugs = list(
            Partner.objects.filter(is_active=True)
            .order_by("slug")
            .values_list("slug", flat=True)[: SLUGS_SHOWN + 1]
        )
        if not slugs:
            return "No partner exists yet: add one with csrtool createpartner."
        more = ", …" if len(slugs) > SLUGS_SHOWN else ""
        return f"Use --partner with one of: {', '.join(slugs[:SLUGS_SHOWN])}{more}."

    def emit(self, options, data, text: str):
        if options.get("json"):
            self.stdout.write(
                json.dumps(data, ensure_ascii=False, cls=_JSONEncoder, indent=2)
            )
        else:
            self.stdout.write(text)

    def handle(self, *args, **options):
        timezone.deactivate()
        self.show_times_in(os.environ.get("TZ", ""))
        try:
            return self.handle_domain(*args, **options)
        except ValidationFailed as e:
            lines = [f"  {field}: {m}" for field, ms in e.errors.items() for m in ms]
            raise CliError(
                "invalid input:\n" + "\n".join(lines),
                code=e.code,
                errors=e.errors,
                summary=e.message,
            ) from None
        except DomainError as e:
            message = e.message
            if e.field == "partner":
                # The services say "Choose a partner." to every door; here the
                # door is an option.
                message = f"{message} {self.partner_choices()}"
            raise CliError(message, code=e.code) from None
        finally:
            timezone.deactivate()

    def handle_domain(self, *args, **options):  # pragma: no cover
        raise NotImplementedError

    def read_stdin_secret(self) -> str:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise CliError("Expected the password on standard input.", code="usage")
        return value
