"""`csrtool partnerlogo set|show|clear PARTNER`: a partner's logo or favicon, as on
its Settings page."""

import sys

from csrtool.commands import CliError, DomainCommand
from csrtool.partners import logos
from csrtool.partners.api import brand_image_json


class Command(DomainCommand):
    help = (
        "A partner's logo (or favicon, with --favicon): upload one from a file, "
        "show it, or remove it (its customers then see the product name)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        upload = sub.add_parser(
            "set",
            help="Upload a logo (PNG, SVG or WebP) or a favicon (PNG, ICO or SVG), "
            "at most 512 KB; it replaces the one there was.",
        )
        upload.add_argument("partner", help="Partner slug.")
        upload.add_argument("file", help="The image file; - reads standard input.")
        show = sub.add_parser("show", help="The image's format, size and address.")
        show.add_argument("partner", help="Partner slug.")
        clear = sub.add_parser("clear", help="Remove it.")
        clear.add_argument("partner", help="Partner slug.")
        for subparser in (upload, show, clear):
            subparser.add_argument(
                "--favicon",
                action="store_true",
                help="The favicon (the browser tab's icon) rather than the logo.",
            )
            self.add_common_arguments(subparser, subcommand=True)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        kind = "favicon" if options["favicon"] else "logo"
        slug = options["partner"]
        if options["action"] == "set":
            image = logos.set_brand_image(
                actor=actor, slug=slug, kind=kind, data=self.read(options["file"])
            )
            self.show(options, image, f"Saved the {kind} of {image.partner.name}.")
        elif options["action"] == "show":
            self.show(options, logos.get_brand_image(actor=actor, slug=slug, kind=kind))
        else:
            partner = logos.clear_brand_image(actor=actor, slug=slug, kind=kind)
            self.emit(
                options,
                {"partner": partner.slug, "kind": kind, "removed": True},
                f"Removed the {kind} of {partner.name}.",
            )

    def read(self, path: str) -> bytes:
        try:
            if path == "-":
                return sys.stdin.buffer.read()
            with open(path, "rb") as file:
                return file.read()
        except OSError as e:
            raise CliError(
                f"Cannot read {path}: {e.strerror}.", code="unreadable"
            ) from None

    def show(self, options, image, text: str = ""):
        data = brand_image_json(image)
        pixels = f"{image.width} × {image.height} pixels, " if image.width else ""
        line = (
            f"{image.partner.name}'s {image.kind}: {image.content_type}, {pixels}"
            f"{image.size:,} bytes\n{data['url']}"
        )
        self.emit(options, data, f"{text}\n{line}" if text else line)
