import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from csrtool.management.commands.serve import run_server
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Partner, Role, User
from csrtool.partners.services import create_partner, create_staff

DEMO_PARTNER = "demo"
DEMO_STAFF = [
    ("admin@demo.example", "Dana Admin", Role.PARTNER_ADMIN),
    ("csr@demo.example", "Chris CSR", Role.CSR),
    ("auditor@demo.example", "Avery Auditor", Role.AUDITOR),
]

# A few lines of the demo partner's pool (555-01xx numbers are fictional).
DEMO_NUMBERS = [
    ("8005550100", "tollfree"),
    ("8005550101", "tollfree"),
    ("8885550102", "tollfree"),
    ("2125550103", "local"),
    ("2125550104", "local"),
    ("4155550105", "local"),
]


DEMO_PLANS = [
    (
        "Voice starter",
        "An IVR with text-to-speech control and reports.",
        ["voice_sites", "tts_settings", "reporting"],
    ),
    (
        "Contact center",
        "Voice, outbound campaigns, recording, SMS, chat and reports for a team.",
        [
            "voice_sites",
            "outbound_campaigns",
            "call_recording",
            "nl_speech",
            "sms",
            "web_chat",
            "reporting",
            "multi_user",
        ],
    ),
]


def demo_password(email: str, name: str) -> str:
    """A random password the password validators take for this login. Now and
    then a random one shares enough letters with the address or the name for
    the similarity check to refuse it: another is drawn."""
    person = User(email=email, full_name=name)
    while True:
        password = "demo-" + secrets.token_urlsafe(9)
        try:
            validate_password(password, person)
        except ValidationError:
            continue
        return password


class Command(BaseCommand):
    help = (
        "Set up a demo partner and staff in the data directory and serve the console."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up, then exit."
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = self.set_up()
        self.record_settings()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"csrtool demo is ready at {url}"))
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        self.stdout.write(
            f"Partner: Demo Telecom, slug {DEMO_PARTNER} "
            f"(commands take --partner {DEMO_PARTNER})"
        )
        for email, password, label in logins:
            self.stdout.write(f"  {label:<18} {email}  password: {password}")
        self.stdout.write(
            "Commands run with this data directory reach the demo, e.g. "
            "csrtool subscribers find example.com"
        )
        if settings.EMAIL_BACKEND.endswith("FolderEmailBackend"):
            self.stdout.write(
                f"No mail server set (CSRTOOL_EMAIL_URL): emails are written to "
                f"{settings.EMAIL_FILE_PATH} and their links are printed here."
            )
        if not options["no_serve"]:
            from csrtool.onboarding.background import start_worker_process

            start_worker_process()
            run_server(host=options["host"], port=options["port"], workers=2)

    def record_settings(self):
        """Leave the demo's settings in its data directory, where settings.py
        finds them: later commands there need no variable to reach it."""
        path = Path(settings.DATA_DIR) / settings.DEMO_FILE
        path.write_text(
            json.dumps({"base_url": settings.BASE_URL, "partner": DEMO_PARTNER}) + "\n"
        )

    @transaction.atomic
    def set_up(self):
        actor = cli_actor()
        partner = Partner.objects.filter(slug=DEMO_PARTNER).first()
        if partner is None:
            partner = create_partner(
                actor=actor,
                name="Demo Telecom",
                slug=DEMO_PARTNER,
                time_zone="America/New_York",
            )
        logins = []
        for email, name, role in [
            ("operator@demo.example", "Olive Operator", Role.OPERATOR),
            *DEMO_STAFF,
        ]:
            password = demo_password(email, name)
            user = User.objects.filter(email_canonical=email).first()
            if user is None:
                # With a password: the demo prints the logins, nobody is invited.
                user = create_staff(
                    actor=actor,
                    partner=None if role == Role.OPERATOR else partner,
                    email=email,
                    role=role,
                    full_name=name,
                    password=password,
                )
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            logins.append((email, password, Role(role).label))
        self.add_demo_numbers(actor, partner)
        self.add_demo_plans(actor, partner)
        # The CSR login first: it is the one the console is for.
        logins.sort(key=lambda row: row[2] != "CSR")
        return logins

    def add_demo_numbers(self, actor, partner):
        from csrtool.numberpool.models import PhoneNumber
        from csrtool.numberpool.services import add_number

        for dnis, number_type in DEMO_NUMBERS:
            if not PhoneNumber.objects.filter(dnis=dnis).exists():
                add_number(
                    actor=actor,
                    partner=partner,
                    number=dnis,
                    dnis=dnis,
                    number_type=number_type,
                    country_code="1",
                    area_code=dnis[:3],
                )

    def add_demo_plans(self, actor, partner):
        from csrtool.features.models import Plan
        from csrtool.features.services import create_plan

        for name, description, features in DEMO_PLANS:
            if not Plan.objects.filter(partner=partner, name=name).exists():
                create_plan(
                    actor=actor,
                    partner=partner,
                    name=name,
                    description=description,
                    features=features,
                )
