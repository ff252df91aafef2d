"""`csrtool partner list|show|set|sso`: a partner's settings, as on the Settings
page, and its single sign-on, as on the Single sign-on page."""

import os

from csrtool.commands import CliError, DomainCommand
from csrtool.partners import services, single_sign_on
from csrtool.partners.api import PartnerOut
from csrtool.partners.models import Partner

SWITCHES = {"on": True, "off": False}


def partner_json(partner: Partner) -> dict:
    return {name: getattr(partner, name) for name in PartnerOut.model_fields}


class Command(DomainCommand):
    help = (
        "A partner's settings: show them, or change its name, time zone, brand "
        "(product name, colours, footer links), sender, support contacts and "
        "policies. The operator names the partner; a partner admin (--as) changes "
        "their own. Add partners with createpartner."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Partners, by slug.")
        show = sub.add_parser("show", help="One partner's settings.")
        change = sub.add_parser(
            "set", help="Change settings; an empty value clears an optional one."
        )
        for subparser in (show, change):
            subparser.add_argument(
                "slug", nargs="?", help="Partner slug (a partner admin: their own)."
            )
        for name in services.PARTNER_SETTINGS:
            if name == "self_service_numbers":
                change.add_argument(
                    "--self-service-numbers",
                    choices=SWITCHES,
                    help="Whether subscribers may pick a number themselves.",
                )
            elif name != "portal_host":
                change.add_argument(f"--{name.replace('_', '-')}", metavar="VALUE")
        change.add_argument(
            "--portal-host",
            metavar="HOST",
            help="The partner's own host for its customers (the operator only).",
        )
        sso = sub.add_parser(
            "sso",
            help="Show the partner's single sign-on (OpenID Connect), set it "
            "(--issuer, --client-id, --domains, --role-rule …; the client secret is "
            "read from CSRTOOL_SSO_CLIENT_SECRET, never from the command line), or "
            "switch it off (--off).",
        )
        sso.add_argument("slug", nargs="?", help="Partner slug (a partner admin: own).")
        sso.add_argument("--issuer", metavar="URL")
        sso.add_argument("--client-id", metavar="ID")
        sso.add_argument(
            "--domains", metavar="DOMAINS", help="Email domains, comma-separated."
        )
        sso.add_argument(
            "--role-rule",
            action="append",
            metavar="RULE",
            help="“role: claim=value”, e.g. “csr: groups=support”; repeat for more.",
        )
        sso.add_argument(
            "--password-sign-in",
            choices=SWITCHES,
            help="Whether the partner's staff may still sign in with a password.",
        )
        sso.add_argument(
            "--off", action="store_true", help="Switch single sign-on off."
        )
        for subparser in (listing, show, change, sso):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        getattr(self, f"do_{options['action']}")(actor, options)

    def partner(self, actor, options) -> Partner:
        slug = options.get("slug")
        if not slug:
            if actor.is_operator:
                raise CliError("Name the partner: its slug.", code="partner_required")
            slug = actor.partner.slug
        actor.require("partner.settings")
        return services.get_partner(actor=actor, slug=slug)

    def show_partner(self, options, partner: Partner, text: str = ""):
        lines = [f"{partner.name} ({partner.slug})"]
        lines += [
            f"  {name}: {getattr(partner, name)}"
            for name in services.PARTNER_SETTINGS
            if name != "name"
        ]
        shown = "\n".join(lines)
        self.emit(options, partner_json(partner), f"{text}\n{shown}" if text else shown)

    def do_list(self, actor, options):
        actor.require("partner.settings")
        partners = Partner.objects.order_by("slug")
        if not actor.is_operator:
            partners = partners.filter(pk=actor.partner.pk)
        self.emit(
            options,
            [partner_json(partner) for partner in partners],
            "\n".join(f"{p.slug}  {p.name}  {p.time_zone}" for p in partners)
            or "No partners yet.",
        )

    def do_show(self, actor, options):
        self.show_partner(options, self.partner(actor, options))

    def do_set(self, actor, options):
        partner = self.partner(actor, options)
        changes = {
            name: options[name]
            for name in services.PARTNER_SETTINGS
            if options.get(name) is not None
        }
        if "self_service_numbers" in changes:
            changes["self_service_numbers"] = SWITCHES[changes["self_service_numbers"]]
        if not changes:
            raise CliError(
                "Nothing to change: give at least one setting, e.g. --product-name.",
                code="nothing_to_change",
            )
        before = partner_json(partner)
        partner = services.update_partner(actor=actor, slug=partner.slug, **changes)
        after = partner_json(partner)
        changed = sorted(name for name in after if after[name] != before[name])
        self.show_partner(
            options,
            partner,
            f"Changed: {', '.join(changed)}." if changed else "Nothing changed.",
        )

    def do_sso(self, actor, options):
        partner = self.partner(actor, options)
        if options["off"]:
            single_sign_on.remove_single_sign_on(actor=actor, partner=partner)
            self.emit(
                options,
                single_sign_on._snapshot(None),
                f"Single sign-on of {partner.slug} is off.",
            )
            return
        given = [
            options[name]
            for name in ("issuer", "client_id", "domains", "role_rule")
            if options.get(name) is not None
        ]
        current = single_sign_on.get_single_sign_on(partner)
        if given or options.get("password_sign_in") is not None:
            snapshot = single_sign_on._snapshot(current)
            rules = options.get("role_rule")
            single_sign_on.set_single_sign_on(
                actor=actor,
                partner=partner,
                issuer=options.get("issuer") or snapshot.get("issuer", ""),
                client_id=options.get("client_id") or snapshot.get("client_id", ""),
                client_secret=os.environ.get("CSRTOOL_SSO_CLIENT_SECRET"),
                domains=options.get("domains") or snapshot.get("domains", []),
                role_rules="\n".join(rules)
                if rules
                else snapshot.get("role_rules", ""),
                password_sign_in_allowed=SWITCHES[options["password_sign_in"]]
                if options.get("password_sign_in")
                else snapshot.get("password_sign_in_allowed", True),
            )
            current = single_sign_on.get_single_sign_on(partner)
        snapshot = single_sign_on._snapshot(current)
        if current is None:
            text = f"{partner.slug} has no single sign-on."
        else:
            text = "\n".join(
                [
                    f"Single sign-on of {partner.slug}:",
                    f"  issuer: {snapshot['issuer']}",
                    f"  client_id: {snapshot['client_id']}",
                    "  client secret: saved (never shown)",
                    f"  domains: {', '.join(snapshot['domains'])}",
                    f"  password sign-in: "
                    f"{'on' if snapshot['password_sign_in_allowed'] else 'off'}",
                    "  role rules:",
                    *[f"    {line}" for line in snapshot["role_rules"].splitlines()],
                ]
            )
        self.emit(options, snapshot, text)
