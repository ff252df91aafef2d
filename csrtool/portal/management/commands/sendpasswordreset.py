from csrtool.commands import DomainCommand
from csrtool.portal import reset


class Command(DomainCommand):
    help = (
        "Email a subscriber a password-reset link (one hour, single use, and the "
        "security answer is asked too). Nobody but the subscriber sees a secret."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("subscriber_id", help="The Subscriber ID.")

    def handle_domain(self, *args, **options):
        email = reset.send_password_reset(
            actor=self.actor(options), public_id=options["subscriber_id"]
        )
        self.emit(
            options,
            {
                "subscriber_id": email.subscriber.public_id,
                "recipient": email.recipient,
                "status": email.status,
                "link_expires_at": email.link.expires_at,
            },
            f"Password-reset email queued for {email.recipient}; the link works "
            "for one hour.",
        )
