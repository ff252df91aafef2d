"""`csrtool emailtemplates list|show|set|reset|preview|test`: a partner's own
wording of its subscriber emails, as on the Subscriber Emails pages."""

import sys
from pathlib import Path

from csrtool.commands import CliError, DomainCommand
from csrtool.onboarding.email_templates import services
from csrtool.onboarding.email_templates.api import template_json
from csrtool.onboarding.email_templates.rules import DEFAULT_LANGUAGE
from csrtool.onboarding.models import EmailKind

PARTS = ("subject", "text", "html")


class Command(DomainCommand):
    help = (
        "A partner's subscriber emails: list them, show one's wording, set the "
        "partner's own subject, text or HTML (placeholders such as "
        "{{ first_name }}), reset one to the built-in wording, render it with a "
        "sample customer, or email yourself a test."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Every kind, own or built-in.")
        show = sub.add_parser("show", help="One email's subject, text and HTML.")
        save = sub.add_parser(
            "set",
            help="Save the partner's own wording; parts not given keep theirs.",
        )
        reset = sub.add_parser("reset", help="Back to the built-in wording.")
        preview = sub.add_parser(
            "preview",
            help="Render it with a sample customer (with the parts given instead "
            "of the saved ones); nothing is saved.",
        )
        for subparser in (save, preview):
            subparser.add_argument("--subject")
            subparser.add_argument(
                "--text-file", metavar="FILE", help="The plain text ('-': stdin)."
            )
            subparser.add_argument(
                "--html-file", metavar="FILE", help="The HTML body ('-': stdin)."
            )
        test = sub.add_parser(
            "test",
            help="Email it, with a sample customer, to the --as member of staff.",
        )
        for subparser in (show, save, reset, preview, test):
            subparser.add_argument("kind", choices=EmailKind.values)
        for subparser in (listing, show, save, reset, preview, test):
            subparser.add_argument("--partner", help="Partner slug (operator only).")
            subparser.add_argument(
                "--language", default=DEFAULT_LANGUAGE, help="Default: en."
            )
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        partner = self.partner(options.get("partner"))
        slug = partner.slug if partner else getattr(actor.partner, "slug", "")
        if not slug:
            raise CliError(f"Choose a partner. {self.partner_choices()}")
        common = {"actor": actor, "slug": slug, "language": options["language"]}
        getattr(self, f"do_{options['action']}")(common, options)

    def show_state(self, options, state, heading=""):
        lines = [heading] if heading else []
        lines += [
            f"{state.label} email ({state.language}), "
            + ("the partner's own wording" if state.custom else "built-in wording"),
            f"Subject: {state.parts.subject}",
            "--- plain text",
            state.parts.text.rstrip("\n"),
            "--- HTML",
            state.parts.html.rstrip("\n"),
        ]
        self.emit(options, template_json(state), "\n".join(lines))

    def do_list(self, common, options):
        states = services.list_templates(**common)
        lines = [
            f"{s.kind:<18} {'own' if s.custom else 'built-in':<9} "
            f"{self.when(s.updated_at)}  {s.parts.subject}"
            for s in states
        ]
        self.emit(options, [template_json(s) for s in states], "\n".join(lines))

    def do_show(self, common, options):
        self.show_state(options, services.get_template(kind=options["kind"], **common))

    def read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        try:
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CliError(f"Cannot read {name}: {e}", code="unreadable") from None

    def draft(self, common, options) -> dict | None:
        given = {}
        if options.get("subject") is not None:
            given["subject"] = options["subject"]
        if options.get("text_file"):
            given["text"] = self.read(options["text_file"])
        if options.get("html_file"):
            given["html"] = self.read(options["html_file"])
        if not given:
            return None
        current = services.get_template(kind=options["kind"], **common)
        return {**current.parts.as_dict(), **given}

    def do_set(self, common, options):
        draft = self.draft(common, options)
        if draft is None:
            raise CliError("Give --subject, --text-file or --html-file.", code="usage")
        state, tidied = services.save_template(kind=options["kind"], **common, **draft)
        heading = f"Saved the {state.label.lower()} email."
        if tidied:
            heading += " The HTML was tidied and markup email does not allow removed."
        self.show_state(options, state, heading)

    def do_reset(self, common, options):
        state = services.reset_template(kind=options["kind"], **common)
        self.show_state(
            options, state, f"The {state.label.lower()} email is built-in again."
        )

    def do_preview(self, common, options):
        rendered = services.preview(
            kind=options["kind"], draft=self.draft(common, options), **common
        )
        self.emit(
            options,
            rendered,
            f"Subject: {rendered['subject']}\n--- plain text\n"
            f"{rendered['text'].rstrip()}\n--- HTML\n{rendered['html'].rstrip()}",
        )

    def do_test(self, common, options):
        email = services.send_test(kind=options["kind"], **common)
        self.emit(
            options,
            {"recipient": email.recipient, "subject": email.subject},
            f"A test of the {EmailKind(email.kind).label.lower()} email is on its "
            f"way to {email.recipient} (the worker sends it).",
        )
