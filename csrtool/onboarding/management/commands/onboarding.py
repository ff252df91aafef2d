from csrtool import timezones
from csrtool.commands import DomainCommand
from csrtool.onboarding import services
from csrtool.onboarding.api import EmailOut
from csrtool.onboarding.models import OutboundEmail


def email_data(email: OutboundEmail) -> dict:
    """An email as the API shows it (the JSON encoder writes its moments)."""
    return EmailOut.from_email(email)


def _line(email: OutboundEmail) -> str:
    when = email.sent_at or email.failed_at or email.created_at
    line = (
        f"{timezones.viewer_datetime(when)}  {email.kind:<15} {email.status:<8} "
        f"attempts={email.attempts}  to {email.recipient}"
    )
    if email.last_error and email.status != "sent":
        line += f"\n    {email.last_error}"
    return line


class Command(DomainCommand):
    help = "Welcome emails: resend one, or list the emails sent to a subscriber."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        resend = sub.add_parser(
            "resend",
            help="Send the welcome email again; links in earlier emails stop working.",
        )
        resend.add_argument("--subscriber", required=True, metavar="SUBSCRIBER_ID")
        resend.add_argument(
            "--email",
            help="correct the login email first (a mistyped address) and send there",
        )
        emails = sub.add_parser("emails", help="List a subscriber's emails.")
        emails.add_argument("--subscriber", required=True, metavar="SUBSCRIBER_ID")
        for subparser in (resend, emails):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        if options["action"] == "resend":
            email = services.resend_welcome(
                actor=actor, public_id=options["subscriber"], email=options["email"]
            )
            self.emit(
                options,
                email_data(email),
                f"Welcome email queued for {email.recipient}; "
                "links in earlier emails no longer work.",
            )
        else:
            _, emails = services.email_history(
                actor=actor, public_id=options["subscriber"]
            )
            self.emit(
                options,
                [email_data(e) for e in emails],
                "\n".join(_line(e) for e in emails) or "No emails yet.",
            )
