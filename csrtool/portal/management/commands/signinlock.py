from csrtool import timezones
from csrtool.commands import DomainCommand
from csrtool.portal import signin_lock


def _when(until) -> str:
    if until is None:
        return "Portal sign-in is not locked."
    return f"Portal sign-in is locked until {timezones.viewer_datetime(until)}."


class Command(DomainCommand):
    help = (
        "A subscriber's portal sign-in lock (10 failed sign-ins lock it for 30 "
        "minutes): show it, or unlock it now with a reason for the audit log."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="Whether sign-in is locked, until when.")
        show.add_argument("subscriber_id", help="The Subscriber ID.")
        unlock = sub.add_parser("unlock", help="Unlock sign-in now.")
        unlock.add_argument("subscriber_id", help="The Subscriber ID.")
        unlock.add_argument("--reason", required=True, help="Why, for the audit log.")
        for subparser in (show, unlock):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        public_id = options["subscriber_id"]
        if options["action"] == "show":
            subscriber, until = signin_lock.sign_in_lock(
                actor=actor, public_id=public_id
            )
            self.emit(
                options,
                {
                    "subscriber_id": subscriber.public_id,
                    "locked": until is not None,
                    "locked_until": until,
                },
                _when(until),
            )
            return
        until = signin_lock.unlock_sign_in(
            actor=actor, public_id=public_id, reason=options["reason"]
        )
        self.emit(
            options,
            {
                "subscriber_id": public_id.strip().lower(),
                "locked": False,
                "was_locked_until": until,
            },
            f"Portal sign-in unlocked (it was locked until {self.when(until)}).",
        )
