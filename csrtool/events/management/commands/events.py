from csrtool.commands import CliError, DomainCommand, limit
from csrtool.events.changes import EVENT_TYPES
from csrtool.events.feed import decode_cursor, publish, read_feed
from csrtool.events.models import Event


class Command(DomainCommand):
    help = (
        "The event feed: events after a cursor, oldest first "
        "(every partner's for the operator)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--after", default="", help="The cursor printed last time.")
        parser.add_argument(
            "--type", dest="types", action="append", default=[], choices=EVENT_TYPES
        )
        parser.add_argument("--partner", help="Only this partner's events.")
        parser.add_argument("--limit", type=limit, default=100)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        actor.require("subscribers.view")
        after = decode_cursor(options["after"])
        if after is None:
            raise CliError("This cursor is not one we gave out.", code="invalid")
        events = Event.objects.for_actor(actor)
        partner = self.partner(options.get("partner"))
        if partner is not None:
            events = events.for_partner(partner)
        publish()
        page = read_feed(
            events, after=after, types=options["types"], limit=options["limit"]
        )
        data = {
            "items": [e.as_json() for e in page.items],
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
        lines = [
            f"{self.when(e.created_at)}  {e.public_id}  {e.partner.slug:<12} "
            f"{e.type}  {_about(e)}"
            for e in page.items
        ]
        lines.append(f"next cursor: {page.next_cursor}")
        self.emit(options, data, "\n".join(lines))


def _about(event: Event) -> str:
    """The subscriber or number an event is about, for the text listing."""
    found = event.data.get("object") or {}
    return found.get("dnis") or found.get("subscriber_id") or ""
