"""A partner's logo and favicon: what an upload must be, and setting or clearing one.

The format is read from the content, never from the file's name or declared type:
an SVG is made harmless (csrtool/partners/svg.py); anything else must be one of
the raster formats Pillow is allowed to open for that kind. The pixel size is
checked from the header before anything is decoded (Pillow's own decompression
bomb limit stays as a second guard), then the image is decoded and encoded again
from its pixels alone, which drops metadata (EXIF, text, colour profiles) and
anything appended to or hidden in the file.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from PIL import Image

from csrtool.audit.services import record
from csrtool.errors import DomainError, NotFound, ValidationFailed
from csrtool.partners.access import Actor
from csrtool.partners.models import BrandImage, BrandImageKind, Partner
from csrtool.partners.services import get_partner
from csrtool.partners.svg import sanitise_svg


@dataclass(frozen=True)
class Rules:
    label: str
    formats: tuple[str, ...]  # Pillow's names of the raster formats taken
    described: str  # what a person may upload, for messages and help texts
    accept: str  # the file chooser's filter (a hint only: the content decides)
    max_bytes: int
    min_side: int
    max_side: int

    @property
    def max_size(self) -> str:
        return _kilobytes(self.max_bytes)


RULES = {
    BrandImageKind.LOGO: Rules(
        label="logo",
        formats=("PNG", "WEBP"),
        described="PNG, SVG or WebP",
        accept="image/png,image/svg+xml,image/webp",
        max_bytes=512 * 1024,
        min_side=16,
        max_side=2000,
    ),
    BrandImageKind.FAVICON: Rules(
        label="favicon",
        formats=("PNG", "ICO"),
        described="PNG, ICO or SVG",
        accept="image/png,image/x-icon,image/vnd.microsoft.icon,image/svg+xml",
        max_bytes=512 * 1024,
        min_side=16,
        max_side=512,
    ),
}


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    content_type: str
    width: int | None
    height: int | None


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed({"file": [message]})


def _kilobytes(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size >= 1024 else f"{size} bytes"


def rules_of(kind: str) -> Rules:
    if kind not in RULES:
        raise DomainError(
            f"The image is a logo or a favicon, not {str(kind)[:20]!r}.", field="kind"
        )
    return RULES[kind]


def check_size(kind: str, size: int) -> None:
    """Refuse a file that is too big before reading it."""
    rules = rules_of(kind)
    if size > rules.max_bytes:
        raise _refused(
            f"The file is {_kilobytes(size)}; a {rules.label} may be at most "
            f"{_kilobytes(rules.max_bytes)}."
        )


def check_image(kind: str, data: bytes) -> CheckedImage:
    """The upload as it will be stored and served, or ValidationFailed saying why
    not (on the field "file")."""
    rules = rules_of(kind)
    if not data:
        raise _refused("The file is empty.")
    check_size(kind, len(data))
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        try:
            content = sanitise_svg(data)
        except DomainError as e:
            raise _refused(e.message) from None
        return CheckedImage(content, "image/svg+xml", None, None)
    return _reencoded(rules, data)


def _not_an_image(rules: Rules) -> ValidationFailed:
    return _refused(
        f"This file is not a {rules.described} image (its content was checked, "
        "not its name)."
    )


def _check_sides(rules: Rules, width: int, height: int) -> None:
    if width > rules.max_side or height > rules.max_side:
        raise _refused(
            f"The image is {width} × {height} pixels; a {rules.label} may be at most "
            f"{rules.max_side} × {rules.max_side}."
        )
    if width < rules.min_side or height < rules.min_side:
        raise _refused(
            f"The image is {width} × {height} pixels; a {rules.label} must be at "
            f"least {rules.min_side} × {rules.min_side}."
        )


def _reencoded(rules: Rules, data: bytes) -> CheckedImage:
    too_big = _refused(
        f"The image is far too large to read; a {rules.label} may be at most "
        f"{rules.max_side} × {rules.max_side} pixels."
    )
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that: both
        # are refusals here, and the sides are checked before decoding anyway.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=rules.formats)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise too_big from None
        except Exception:  # Pillow's parsers fail on hostile files in many ways
            raise _not_an_image(rules) from None
        _check_sides(rules, *image.size)
        try:
            image.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise too_big from None
        except Exception:
            raise _refused(
                "The image could not be read: the file is damaged or incomplete."
            ) from None
    # An ICO's largest picture, now decoded, may differ from its header.
    _check_sides(rules, *image.size)
    webp = image.format == "WEBP"
    out = io.BytesIO()
    try:
        if image.mode not in ("RGB", "RGBA", "L", "LA") or "transparency" in image.info:
            image = image.convert("RGBA")
        image.info = {}  # no colour profile, EXIF or text carried over
        if webp:
            image.save(out, "WEBP", quality=90)
        else:
            image.save(out, "PNG")
    except Exception:
        raise _refused(
            "The image's colours could not be converted; save it as an ordinary "
            "PNG and try again."
        ) from None
    return CheckedImage(
        out.getvalue(), "image/webp" if webp else "image/png", *image.size
    )


def _snapshot(image: BrandImage | None) -> dict:
    if image is None:
        return {"sha256": None}
    return {
        "sha256": image.sha256,
        "content_type": image.content_type,
        "size": image.size,
        "width": image.width,
        "height": image.height,
    }


def _current(partner: Partner, kind: str) -> BrandImage | None:
    image = BrandImage.objects.filter(partner=partner, kind=kind).defer("content")
    image = image.first()
    if image is not None:
        image.partner = partner
    return image


def set_brand_image(*, actor: Actor, slug: str, kind: str, data: bytes) -> BrandImage:
    """Give a partner a new logo or favicon (replacing the one it had)."""
    actor.require("partner.settings")
    rules_of(kind)
    # Another partner's slug is unknown before anything about the file is said.
    partner = get_partner(actor=actor, slug=slug)
    checked = check_image(kind, data)
    with transaction.atomic():
        # One change of a partner's images at a time: the second waits, then
        # replaces the first, each with its own audit row.
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        image = _current(partner, kind)
        before = _snapshot(image)
        image = image or BrandImage(partner=partner, kind=kind)
        image.content = checked.content
        image.content_type = checked.content_type
        image.sha256 = hashlib.sha256(checked.content).hexdigest()
        image.size = len(checked.content)
        image.width, image.height = checked.width, checked.height
        image.updated_at = timezone.now()
        image.save()
        _audit(actor, partner, f"partner.{kind}_set", before, image)
    return image


def clear_brand_image(*, actor: Actor, slug: str, kind: str) -> Partner:
    """Remove a partner's logo or favicon: its customers see the product's look."""
    actor.require("partner.settings")
    rules_of(kind)
    partner = get_partner(actor=actor, slug=slug)
    with transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        image = _current(partner, kind)
        if image is None:
            raise NotFound(f"{partner.name} has no {RULES[kind].label} to remove.")
        before = _snapshot(image)
        image.delete()
        _audit(actor, partner, f"partner.{kind}_cleared", before, None)
    return partner


def _audit(actor, partner, action: str, before: dict, image: BrandImage | None):
    record(
        actor=actor,
        action=action,
        target=partner,
        partner=partner,
        before=before,
        after=_snapshot(image),
    )


def get_brand_image(*, actor: Actor, slug: str, kind: str) -> BrandImage:
    """A partner's logo or favicon (without its bytes); NotFound when it has none."""
    actor.require("partner.settings")
    rules = rules_of(kind)
    partner = get_partner(actor=actor, slug=slug)
    image = _current(partner, kind)
    if image is None:
        raise NotFound(f"{partner.name} has no {rules.label}.")
    return image
