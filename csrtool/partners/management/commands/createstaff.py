from csrtool.commands import DomainCommand
from csrtool.partners import services
from csrtool.partners.models import Role


class Command(DomainCommand):
    help = (
        "Add a member of staff to a partner. With --password-stdin the password is "
        "read from standard input; without it they are emailed an invitation with "
        "a link to set their password; with --sso they get no password at all and "
        "sign in at their partner's provider (single sign-on)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--partner", help="Partner slug (not for operators).")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="")
        parser.add_argument("--password-stdin", action="store_true")
        parser.add_argument(
            "--sso",
            action="store_true",
            help="Single sign-on only: no password, no invitation.",
        )

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        password = self.read_stdin_secret() if options["password_stdin"] else None
        user = services.create_staff(
            actor=actor,
            partner=self.partner(options["partner"]),
            email=options["email"],
            role=options["role"],
            full_name=options["name"],
            password=password,
            sso_only=options["sso"],
        )
        data = {
            "id": user.pk,
            "email": user.email,
            "role": user.role,
            "partner": user.partner.slug if user.partner else None,
        }
        text = f"Added {user.email} as {user.get_role_display()}"
        text += f" of {user.partner.name}." if user.partner else "."
        data["invited"] = password is None and not options["sso"]
        if options["sso"]:
            text += "\nThey sign in at their partner's provider (single sign-on)."
        elif password is None:
            text += (
                f"\nAn invitation to set a password is on its way to {user.email} "
                "(the worker sends it)."
            )
        self.emit(options, data, text)
