from csrtool.commands import DomainCommand
from csrtool.partners import services


class Command(DomainCommand):
    help = "Create a partner (OEM)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument(
            "--time-zone", required=True, help="IANA zone, e.g. Europe/Paris"
        )

    def handle_domain(self, *args, **options):
        partner = services.create_partner(
            actor=self.actor(options),
            name=options["name"],
            slug=options["slug"],
            time_zone=options["time_zone"],
        )
        self.emit(
            options,
            {
                "name": partner.name,
                "slug": partner.slug,
                "time_zone": partner.time_zone,
            },
            f"Created partner {partner.name} ({partner.slug}).",
        )
