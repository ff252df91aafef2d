"""`csrtool numbers add|remove|retire|unretire|assign|unassign|hold|show|search|
expire`.

Each subcommand is a parser builder plus a handler over the number pool
services. Other number pool commands register the same way through `MODULES`:
a module with `ACTIONS`, `add_parsers(command, sub)` and
`handle(command, actor, options)`.
"""

from importlib import import_module

from csrtool.commands import CliError, DomainCommand, limit
from csrtool.numberpool import services
from csrtool.numberpool.models import NumberAssignment, NumberType, PhoneNumber
from csrtool.validation import clean_codes

# Modules that add their own subcommands to `numbers`.
MODULES: tuple[str, ...] = ("csrtool.numberpool.import_commands",)


def line_data(line: PhoneNumber) -> dict:
    return {
        "number": line.number,
        "dnis": line.dnis,
        "number_type": line.number_type,
        "country_code": line.country_code,
        "area_code": line.area_code,
        "status": line.effective_status(),
        "subscriber_id": line.subscriber.public_id if line.subscriber_id else None,
        "held_until": line.held_until,
        "aging_until": line.aging_until,
        "partner": line.partner.slug,
    }


def line_text(line: PhoneNumber) -> str:
    data = line_data(line)
    owner = f"  {data['subscriber_id']}" if data["subscriber_id"] else ""
    return (
        f"{line.dnis}  {line.number_display}  {line.number_type}  "
        f"{data['status']}{owner}"
    )


class Command(DomainCommand):
    help = (
        "Manage the number pool: add, remove, retire, unretire, assign, unassign, "
        "hold, show, search."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        add = sub.add_parser("add", help="Add a number to the pool.")
        add.add_argument("--number", required=True, help="e.g. +1 800 555 1234")
        add.add_argument(
            "--dnis", default="", help="e.g. 8005551234; omitted, taken from a +number"
        )
        add.add_argument(
            "--type",
            dest="number_type",
            required=True,
            help="tollfree, local, intl_local or intl_tollfree",
        )
        add.add_argument(
            "--country-code", default="", help="e.g. 1; omitted, taken from a +number"
        )
        add.add_argument("--area-code", default="", help="e.g. 800")
        add.add_argument(
            "--subscriber",
            default="",
            help="Subscriber ID or login email: add it assigned.",
        )
        add.add_argument("--partner", help="Partner slug (operator only).")

        remove = sub.add_parser("remove", help="Remove an unassigned number.")
        remove.add_argument("dnis")

        for name, text in (
            ("retire", "Retire a number: nobody can be given it until unretired."),
            ("unretire", "Return a retired number to the pool, available."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("dnis", help="The DNIS, or the number in any format.")
            p.add_argument("--reason", default="", help="Kept in the history.")

        for name, text in (
            ("assign", "Assign a number to a subscriber."),
            ("hold", "Hold a number for a subscriber for the partner's hold time."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("number", help="The number in any format, or its DNIS.")
            p.add_argument("subscriber", help="Subscriber ID or login email")

        unassign = sub.add_parser(
            "unassign", help="Take a number from its subscriber (it starts aging)."
        )
        unassign.add_argument("number")
        unassign.add_argument(
            "--subscriber",
            default="",
            help="Refuse unless it is this subscriber's (ID or login email).",
        )

        show = sub.add_parser("show", help="A number, its status and its owners.")
        show.add_argument("number")

        search = sub.add_parser(
            "search",
            help="Numbers whose DNIS contains these digits (four or more: those "
            "ending in them first).",
        )
        search.add_argument("digits", help="At least one digit, e.g. 555 or 800555.")
        search.add_argument("--available", action="store_true")
        search.add_argument(
            "--limit", type=limit, default=50, help="How many to show (1 to 500)."
        )

        available = sub.add_parser(
            "available",
            help="Browse the numbers free to assign, in number order, by country, "
            "area code and type.",
        )
        available.add_argument(
            "--country", default="", help="A country code (44) or two letters (GB)."
        )
        available.add_argument("--area", default="", help="An area code, e.g. 212.")
        available.add_argument(
            "--type", dest="number_type", default="", choices=NumberType.values
        )
        available.add_argument(
            "--after", default="", help="The next page: the number the last one gave."
        )
        available.add_argument(
            "--limit", type=limit, default=50, help="How many to show (1 to 500)."
        )

        sub.add_parser("expire", help="Free lapsed holds and finished aging periods.")

        for parser_ in sub.choices.values():
            self.add_common_arguments(parser_, subcommand=True)
        self.extra = {}
        for module_name in MODULES:
            module = import_module(module_name)
            module.add_parsers(self, sub)
            for action in module.ACTIONS:
                self.extra[action] = module

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        action = options["action"]
        if action in self.extra:
            return self.extra[action].handle(self, actor, options)
        return getattr(self, f"do_{action}")(actor, options)

    def do_add(self, actor, options):
        line = services.add_number(
            actor=actor,
            number=options["number"],
            dnis=options["dnis"],
            number_type=options["number_type"],
            country_code=options["country_code"],
            area_code=options["area_code"],
            subscriber_id=options["subscriber"],
            partner=self.partner(options.get("partner")),
        )
        text = f"Added {line_text(line)}"
        if line.subscriber_id:
            text += (
                f"\nAssigned to {line.subscriber.full_name} "
                f"(Subscriber ID {line.subscriber.public_id})."
            )
        self.emit(options, line_data(line), text)

    def do_remove(self, actor, options):
        line = services.remove_number(actor=actor, dnis=options["dnis"])
        self.emit(options, {"removed": line.dnis}, f"Removed {line.dnis}.")

    def do_retire(self, actor, options):
        line = services.retire_number(
            actor=actor, number=options["dnis"], reason=options["reason"]
        )
        self.emit(options, line_data(line), f"{line.dnis} is retired.")

    def do_unretire(self, actor, options):
        line = services.unretire_number(
            actor=actor, number=options["dnis"], reason=options["reason"]
        )
        self.emit(
            options, line_data(line), f"{line.dnis} is back in the pool, available."
        )

    def do_assign(self, actor, options):
        line = services.assign_number(
            actor=actor, number=options["number"], subscriber_id=options["subscriber"]
        )
        self.emit(
            options,
            line_data(line),
            f"{line.dnis} is now assigned to {line.subscriber.full_name} "
            f"(Subscriber ID {line.subscriber.public_id}).",
        )

    def do_hold(self, actor, options):
        line = services.hold_number(
            actor=actor, number=options["number"], subscriber_id=options["subscriber"]
        )
        self.emit(
            options,
            line_data(line),
            f"{line.dnis} is held for {line.subscriber.full_name} until "
            f"{self.when(line.held_until)}.",
        )

    def do_unassign(self, actor, options):
        line = services.unassign_number(
            actor=actor, number=options["number"], subscriber_id=options["subscriber"]
        )
        self.emit(
            options,
            line_data(line),
            f"{line.dnis} is now {line.get_status_display().lower()}.",
        )

    def do_show(self, actor, options):
        line = services.find_number(actor=actor, value=options["number"])
        owners = list(
            NumberAssignment.objects.filter(number=line)
            .select_related("subscriber")
            .order_by("-assigned_at", "-pk")
        )
        data = line_data(line) | {
            "owners": [
                {
                    "subscriber_id": o.subscriber.public_id,
                    "assigned_at": o.assigned_at,
                    "released_at": o.released_at,
                }
                for o in owners
            ]
        }
        lines = [line_text(line)] + [
            f"  {o.subscriber.public_id}  {self.when(o.assigned_at)}"
            f" → {self.when(o.released_at) if o.released_at else 'now'}"
            for o in owners
        ]
        self.emit(options, data, "\n".join(lines))

    def do_search(self, actor, options):
        actor.require("pool.view")
        if not any(ch.isdecimal() for ch in options["digits"]):
            raise CliError(
                f"Search needs digits of a number or DNIS, e.g. 555 or 800555; "
                f"{options['digits'][:40]!r} has none.",
                code="invalid_search",
            )
        queryset = PhoneNumber.objects.line_lookup(actor, options["digits"])
        if options["available"]:
            queryset = queryset.available()
        found = queryset.page(None, size=options["limit"]).items
        self.emit(
            options,
            [line_data(line) for line in found],
            "\n".join(line_text(line) for line in found) or "No number matches.",
        )

    def do_available(self, actor, options):
        """Browse Available Numbers: the same filters and pages as the page."""
        actor.require("pool.view")
        clean_codes(options["country"], options["area"], fields=("country", "area"))
        queryset = (
            PhoneNumber.objects.for_actor(actor).available().select_related("partner")
        )
        queryset = queryset.filtered(
            country_code=options["country"],
            number_type=options["number_type"],
            area_code=options["area"],
        )
        page = queryset.page(options["after"] or None, size=options["limit"])
        lines = [line_text(line) for line in page.items] or ["No number is free."]
        if page.next_cursor:
            lines.append(f"More: --after {page.next_cursor}")
        self.emit(
            options,
            {
                "items": [line_data(line) for line in page.items],
                "next_after": page.next_cursor,
            },
            "\n".join(lines),
        )

    def do_expire(self, actor, options):
        count = services.expire_numbers(actor=actor)
        self.emit(options, {"expired": count}, f"{count} numbers freed.")
