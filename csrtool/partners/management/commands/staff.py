"""`csrtool staff list|show|invite|edit|reset-second-factor`: a partner's staff,
as on the Staff page."""

from csrtool.api.services import switch_off_staff
from csrtool.commands import DomainCommand
from csrtool.errors import NotFound
from csrtool.partners import second_factor, services
from csrtool.partners.api import staff_json
from csrtool.partners.models import Role, User
from csrtool.validation import canonical_email


class Command(DomainCommand):
    help = (
        "A partner's staff: list them, email one a new invitation to set a "
        "password, change a role, name or time zone, switch one off or on. Add "
        "staff with createstaff."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Staff, by email.")
        listing.add_argument("--partner", help="Partner slug (operator only).")
        show = sub.add_parser("show", help="One member of staff.")
        show.add_argument("member", help="Their email address.")
        invite = sub.add_parser(
            "invite", help="Email them a new link to set a password (works once)."
        )
        invite.add_argument("member", help="Their email address.")
        edit = sub.add_parser("edit", help="Change a member of staff.")
        edit.add_argument("member", help="Their email address.")
        edit.add_argument("--role", choices=Role.values)
        edit.add_argument("--name", dest="full_name")
        edit.add_argument(
            "--time-zone", help="An IANA zone; an empty value: the partner's."
        )
        state = edit.add_mutually_exclusive_group()
        state.add_argument(
            "--switch-off", dest="is_active", action="store_false", default=None
        )
        state.add_argument("--switch-on", dest="is_active", action="store_true")
        edit.add_argument(
            "--revoke-key",
            dest="revoke",
            action="append",
            default=[],
            metavar="PREFIX",
            help="With --switch-off: revoke this API key they made (repeat it).",
        )
        reset = sub.add_parser(
            "reset-second-factor",
            help="Remove their authenticator app, passkeys and recovery codes (a lost "
            "phone); they set up a new one at their next sign-in.",
        )
        reset.add_argument("member", help="Their email address.")
        reset.add_argument("--reason", required=True, help="For the audit log.")
        for subparser in (listing, show, invite, edit, reset):
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        getattr(self, f"do_{options['action'].replace('-', '_')}")(actor, options)

    def member(self, actor, value: str) -> User:
        """A member of staff the actor may see, by email; another partner's answers
        as an unknown one."""
        actor.require("staff.view")
        found = (
            User.objects.for_actor(actor)
            .filter(email_canonical=canonical_email(value or ""))
            .first()
        )
        if found is None:
            raise NotFound(f"No member of staff has the email {value!r}.")
        return found

    def show_member(self, options, user: User, text: str = ""):
        role = user.get_role_display()
        where = f" of {user.partner.name}" if user.partner else ""
        state = "" if user.is_active else ", switched off"
        password = "" if user.has_usable_password() else ", no password set yet"
        factor = ", ".join(second_factor.methods(user)) or "none"
        line = (
            f"{user.email}  {user.full_name or '-'}  {role}{where}{state}{password}"
            f"; second factor: {factor}"
        )
        self.emit(options, staff_json(user), f"{text}\n{line}" if text else line)

    def do_list(self, actor, options):
        actor.require("staff.view")
        staff = User.objects.for_actor(actor).select_related("partner")
        partner = self.partner(options.get("partner"))
        if partner is not None:
            staff = staff.filter(partner=partner)
        staff = list(staff.order_by("email_canonical"))
        lines = [
            f"{u.email:<32} {u.role:<14} "
            f"{u.partner.slug if u.partner else '(operator)':<12} "
            f"{'on' if u.is_active else 'off'}"
            for u in staff
        ]
        self.emit(
            options, [staff_json(u) for u in staff], "\n".join(lines) or "No staff."
        )

    def do_show(self, actor, options):
        self.show_member(options, self.member(actor, options["member"]))

    def do_invite(self, actor, options):
        user = self.member(actor, options["member"])
        user = services.invite_staff(actor=actor, staff_id=user.pk)
        self.show_member(
            options,
            user,
            f"A new invitation is on its way to {user.email} (the worker sends it).",
        )

    def do_edit(self, actor, options):
        user = self.member(actor, options["member"])
        changes = {
            name: options[name]
            for name in ("role", "full_name", "time_zone", "is_active")
            if options.get(name) is not None
        }
        if changes.get("is_active") is False or options["revoke"]:
            user = switch_off_staff(
                actor=actor, staff_id=user.pk, revoke=options["revoke"], **changes
            )
        else:
            user = services.update_staff(actor=actor, staff_id=user.pk, **changes)
        self.show_member(options, user, f"Saved {user.email}.")

    def do_reset_second_factor(self, actor, options):
        user = self.member(actor, options["member"])
        user = second_factor.reset_second_factor(
            actor=actor, staff_id=user.pk, reason=options["reason"]
        )
        self.show_member(options, user, f"Reset {user.email}'s second factor.")
