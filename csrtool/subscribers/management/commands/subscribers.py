from csrtool.commands import DomainCommand, limit
from csrtool.subscribers import services
from csrtool.subscribers.api import SubscriberOut
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.search import lookup_for
from csrtool.workflows import import_commands
from csrtool.workflows.new_account import open_account


def _line(s: Subscriber) -> str:
    return f"{s.public_id}  {s.status:<18} {s.full_name} <{s.email}>"


class Command(DomainCommand):
    help = "Enterprise accounts: add, find, show, edit, and change their status."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add an enterprise account.")
        add.add_argument("--partner", help="Partner slug (operator only).")
        add.add_argument("--first-name", required=True)
        add.add_argument("--last-name", required=True)
        add.add_argument("--email", required=True)
        add.add_argument("--phone", required=True)
        add.add_argument("--billing-id", required=True)
        add.add_argument("--time-zone", help="Default: the partner's time zone.")
        add.add_argument(
            "--language",
            help="What the account's emails and pages speak (en, es). "
            "Default: the partner's default language.",
        )
        add.add_argument(
            "--number", default="", help="Assign this pool number (number or DNIS)."
        )
        add.add_argument("--plan", help="Apply this plan (its ID or name).")
        add.add_argument(
            "--feature",
            action="append",
            default=[],
            dest="features",
            help="Enable this feature (its key); repeat for more.",
        )
        add.add_argument(
            "--enable-dependencies",
            action="store_true",
            help="Also enable what the chosen features need.",
        )
        find = sub.add_parser(
            "find", help="Search by email, name, ID, Billing ID, phone."
        )
        find.add_argument("query")
        find.add_argument("--status", choices=Status.values)
        find.add_argument(
            "--limit", type=limit, default=50, help="How many to show (1 to 500)."
        )
        show = sub.add_parser("show", help="Show one account.")
        show.add_argument("subscriber_id")
        edit = sub.add_parser("edit", help="Change an account's details.")
        edit.add_argument("subscriber_id")
        for field in services.EDITABLE_FIELDS:
            edit.add_argument("--" + field.replace("_", "-"), dest=field)
        status = sub.add_parser("status", help="Suspend, reactivate or close.")
        status.add_argument("subscriber_id")
        status.add_argument("transition", choices=["suspend", "reactivate", "close"])
        status.add_argument("--reason", default="")
        bulk = import_commands.add_parsers(self, sub)
        for subparser in (add, find, show, edit, status, *bulk):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        action = options["action"]
        if action in import_commands.ACTIONS:
            import_commands.handle(self, actor, options)
        elif action == "add":
            new = open_account(
                actor=actor,
                partner=self.partner(options.get("partner")),
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                phone=options["phone"],
                billing_id=options["billing_id"],
                time_zone=options.get("time_zone"),
                language=options.get("language"),
                number=options["number"],
                plan=options.get("plan"),
                features=options["features"],
                enable_dependencies=options["enable_dependencies"],
            )
            self._show_new(options, new)
        elif action == "find":
            actor.require("subscribers.view")
            found = lookup_for(
                actor,
                options["query"],
                status=options.get("status") or "",
                size=options["limit"],
            ).items
            self.emit(
                options,
                [SubscriberOut.from_subscriber(s) for s in found],
                "\n".join(_line(s) for s in found) or "No subscriber matches.",
            )
        elif action == "show":
            subscriber = services.get_subscriber(
                actor=actor, public_id=options["subscriber_id"]
            )
            self._show(options, subscriber)
        elif action == "edit":
            changes = {
                field: options[field]
                for field in services.EDITABLE_FIELDS
                if options.get(field) is not None
            }
            subscriber = services.update_subscriber(
                actor=actor, public_id=options["subscriber_id"], **changes
            )
            self._show(options, subscriber, prefix="Saved ")
        else:
            subscriber = services.change_status(
                actor=actor,
                public_id=options["subscriber_id"],
                transition=options["transition"],
                reason=options["reason"],
            )
            self._show(options, subscriber, prefix="Now " + subscriber.status + ": ")

    def _show_new(self, options, new):
        data = {
            **SubscriberOut.from_subscriber(new.subscriber),
            "number": new.number.number if new.number else None,
            "plan": new.plan or None,
            "features": sorted(new.features),
        }
        lines = ["Created " + _line(new.subscriber)]
        if new.number:
            lines.append(f"Number assigned: {new.number.number_display}")
        if new.plan:
            lines.append(f"Plan applied: {new.plan}")
        if new.features:
            lines.append(f"Features enabled: {', '.join(sorted(new.features))}")
        lines.append("Welcome email queued; waiting for the subscriber to onboard.")
        self.emit(options, data, "\n".join(lines))

    def _show(self, options, subscriber, prefix=""):
        data = SubscriberOut.from_subscriber(subscriber)
        text = prefix + _line(subscriber)
        if not prefix:
            text = "\n".join(f"{key:<13} {value}" for key, value in data.items())
        self.emit(options, data, text)
