from datetime import datetime

from csrtool.commands import CliError, DomainCommand, limit
from csrtool.webhooks import services
from csrtool.webhooks.api import EndpointOut, delivery_json
from csrtool.webhooks.models import WebhookDelivery, WebhookEndpoint


def moment(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"Give the time as ISO 8601 with its offset, not {value!r}.", code="usage"
        ) from None
    if parsed.tzinfo is None:
        raise CliError("Give the time with its offset (e.g. +00:00).", code="usage")
    return parsed


class Command(DomainCommand):
    help = "A partner's webhook endpoints: add, list, change, rotate, deliveries."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help="Register an endpoint; prints its secret once."
        )
        add.add_argument("--url", required=True)
        add.add_argument(
            "--type",
            dest="types",
            action="append",
            default=[],
            help="An event type to send (repeat it); none: every type.",
        )
        add.add_argument("--description", default="")
        add.add_argument("--partner", help="Partner slug (operator only).")
        listing = sub.add_parser("list", help="List endpoints (never their secrets).")
        listing.add_argument("--partner", help="Partner slug.")
        edit = sub.add_parser("edit", help="Change an endpoint, or switch it on/off.")
        edit.add_argument("endpoint_id")
        edit.add_argument("--url")
        edit.add_argument("--type", dest="types", action="append")
        edit.add_argument("--description")
        state = edit.add_mutually_exclusive_group()
        state.add_argument(
            "--enable", dest="enabled", action="store_true", default=None
        )
        state.add_argument("--disable", dest="enabled", action="store_false")
        remove = sub.add_parser("remove", help="Remove an endpoint.")
        remove.add_argument("endpoint_id")
        rotate = sub.add_parser(
            "rotate", help="New signing secret (the old one signs for 24 h more)."
        )
        rotate.add_argument("endpoint_id")
        deliveries = sub.add_parser("deliveries", help="An endpoint's delivery log.")
        deliveries.add_argument("endpoint_id")
        deliveries.add_argument("--limit", type=limit, default=20)
        again = sub.add_parser(
            "send-again", help="Send one event, or those of a time range, again."
        )
        again.add_argument("endpoint_id")
        again.add_argument("--event", default="", help="An event id (evt_…).")
        again.add_argument("--since", type=moment, help="ISO 8601 time.")
        again.add_argument("--until", type=moment, help="ISO 8601 time.")
        for subparser in (add, listing, edit, remove, rotate, deliveries, again):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        action = options["action"].replace("-", "_")
        getattr(self, f"do_{action}")(actor, options)

    def show(self, options, endpoint: WebhookEndpoint, extra=None, text=""):
        data = {**EndpointOut.from_endpoint(endpoint), **(extra or {})}
        types = ", ".join(endpoint.event_types) or "every event type"
        state = "on" if endpoint.is_enabled else f"off ({endpoint.disabled_reason})"
        self.emit(
            options,
            data,
            f"{endpoint.public_id}  {endpoint.partner.slug}  {endpoint.url}\n"
            f"  {types}; {state}" + (f"\n{text}" if text else ""),
        )

    def do_add(self, actor, options):
        endpoint, secret = services.create_endpoint(
            actor=actor,
            partner=self.partner(options.get("partner")),
            url=options["url"],
            event_types=options["types"],
            description=options["description"],
        )
        self.show(
            options,
            endpoint,
            {"secret": secret},
            f"Signing secret (shown only now): {secret}",
        )

    def do_list(self, actor, options):
        actor.require("partner.settings")
        endpoints = WebhookEndpoint.objects.for_actor(actor).select_related("partner")
        partner = self.partner(options.get("partner"))
        if partner is not None:
            endpoints = endpoints.for_partner(partner)
        endpoints = list(endpoints.order_by("partner__slug", "created_at", "id"))
        self.emit(
            options,
            [EndpointOut.from_endpoint(e) for e in endpoints],
            "\n".join(
                f"{e.public_id}  {e.partner.slug:<12} "
                f"{'on ' if e.is_enabled else 'off'}  {e.url}"
                for e in endpoints
            )
            or "No webhook endpoints.",
        )

    def do_edit(self, actor, options):
        endpoint = services.update_endpoint(
            actor=actor,
            endpoint_id=options["endpoint_id"],
            url=options.get("url"),
            event_types=options.get("types"),
            description=options.get("description"),
            enabled=options.get("enabled"),
        )
        self.show(options, endpoint)

    def do_remove(self, actor, options):
        services.delete_endpoint(actor=actor, endpoint_id=options["endpoint_id"])
        self.emit(
            options,
            {"removed": options["endpoint_id"]},
            f"Removed webhook endpoint {options['endpoint_id']}.",
        )

    def do_rotate(self, actor, options):
        endpoint, secret = services.rotate_secret(
            actor=actor, endpoint_id=options["endpoint_id"]
        )
        self.show(
            options,
            endpoint,
            {"secret": secret},
            f"New signing secret (shown only now): {secret}\n"
            "The previous one signs too until "
            f"{self.when(endpoint.previous_secret_until)}.",
        )

    def do_deliveries(self, actor, options):
        endpoint = services.find_endpoint(
            actor=actor, endpoint_id=options["endpoint_id"]
        )
        deliveries = list(
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .select_related("event")
            .prefetch_related("attempt_log")
            .order_by("-created_at", "-id")[: options["limit"]]
        )
        rows = [delivery_json(d) for d in deliveries]
        lines = []
        for row in rows:
            lines.append(
                f"{self.when(row['created_at'])}  {row['event_id']}  "
                f"{row['event_type']:<30} {row['status']} ({row['attempts']} tries)"
            )
            for a in row["attempt_log"]:
                lines.append(
                    f"    {self.when(a['started_at'])}  {a['status_code'] or '---'}  "
                    f"{a['duration_ms']} ms  {a['error'] or a['response_excerpt'][:60]}"
                )
        self.emit(options, rows, "\n".join(lines) or "No deliveries yet.")

    def do_send_again(self, actor, options):
        queued = services.send_again(
            actor=actor,
            endpoint_id=options["endpoint_id"],
            event_id=options["event"],
            since=options.get("since"),
            until=options.get("until"),
        )
        self.emit(options, {"queued": queued}, f"Queued {queued} deliveries again.")
