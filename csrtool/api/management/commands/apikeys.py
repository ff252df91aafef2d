from csrtool import timezones
from csrtool.api import services
from csrtool.api.models import ApiKey
from csrtool.commands import DomainCommand
from csrtool.partners.models import Role


class Command(DomainCommand):
    help = "Create, list and revoke a partner's API keys."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key and print it once.")
        create.add_argument("--partner", help="Partner slug (operator only).")
        create.add_argument(
            "--operator",
            action="store_true",
            help="A key of the platform operator: every partner's event feed, "
            "partners, staff and the audit log; no subscriber or number.",
        )
        create.add_argument("--name", required=True)
        create.add_argument(
            "--role",
            default=Role.CSR,
            choices=[r.value for r in Role if r != Role.OPERATOR],
        )
        create.add_argument(
            "--expires",
            metavar="YYYY-MM-DD",
            help="The key stops working when that day ends (partner's time zone).",
        )
        listing = sub.add_parser("list", help="List keys (never their secrets).")
        listing.add_argument("--partner", help="Partner slug.")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")
        for subparser in (create, listing, revoke):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        action = options["action"]
        if action == "create" and options.get("operator"):
            key, secret = services.create_operator_key(
                actor=actor, name=options["name"], expires_on=options.get("expires")
            )
            self.emit(
                options,
                {
                    "prefix": key.prefix,
                    "name": key.name,
                    "role": key.role,
                    "partner": None,
                    "expires_at": key.expires_at,
                    "key": secret,
                },
                f"Created operator key {key.name} ({key.prefix}): every partner's "
                "event feed, partners, staff and the audit log.\n"
                f"Key (shown only now): {secret}",
            )
        elif action == "create":
            key, secret = services.create_api_key(
                actor=actor,
                partner=self.partner(options.get("partner")),
                name=options["name"],
                role=options["role"],
                expires_on=options.get("expires"),
            )
            self.emit(
                options,
                {
                    "prefix": key.prefix,
                    "name": key.name,
                    "role": key.role,
                    "partner": key.partner.slug,
                    "expires_at": key.expires_at,
                    "key": secret,
                },
                f"Created API key {key.name} ({key.prefix}) for {key.partner.name}.\n"
                f"Key (shown only now): {secret}",
            )
        elif action == "list":
            actor.require("keys.manage")
            keys = ApiKey.objects.for_actor(actor).select_related(
                "partner", "created_by"
            )
            partner = self.partner(options.get("partner"))
            if partner is not None:
                keys = keys.for_partner(partner)
            rows = [
                {
                    "prefix": k.prefix,
                    "name": k.name,
                    "role": k.role,
                    "partner": k.partner.slug if k.partner else None,
                    "state": k.state(),
                    "created_at": k.created_at,
                    "created_by": k.created_by.email if k.created_by else None,
                    "last_used_at": k.last_used_at,
                    "expires_at": k.expires_at,
                    "revoked_at": k.revoked_at,
                }
                for k in keys.order_by("partner__slug", "created_at")
            ]
            text = (
                "\n".join(
                    f"{r['prefix']}  {r['partner'] or '(operator)':<12} "
                    f"{r['role']:<14} "
                    f"{r['state']:<8} {r['name']}\n"
                    f"          made by {r['created_by'] or 'the command line'}"
                    f" {timezones.viewer_date(r['created_at'])}, last used "
                    + (self.when(r["last_used_at"]) if r["last_used_at"] else "never")
                    + ", expires "
                    + (self.when(r["expires_at"]) if r["expires_at"] else "never")
                    for r in rows
                )
                or "No API keys."
            )
            self.emit(options, rows, text)
        else:
            key = services.revoke_api_key(actor=actor, prefix=options["prefix"])
            self.emit(
                options,
                {"prefix": key.prefix, "revoked_at": key.revoked_at},
                f"Revoked API key {key.name} ({key.prefix}).",
            )
