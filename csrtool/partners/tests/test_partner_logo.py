"""A partner's logo and favicon: uploaded on the settings page, checked from the
content, made harmless, stored in the database and served to its customers'
pages only, each change audited."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.errors import ValidationFailed
from csrtool.partners import logos
from csrtool.partners.models import BrandImage
from csrtool.partners.tests.images import (
    decoded,
    gif,
    ico,
    png,
    png_claiming,
    webp,
)

SVG_OPEN = (
    '<svg xmlns="http://www.w3.org/2000/svg" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 40">'
)
RECT = '<rect id="r" width="100" height="40" fill="#7a1f5c"/>'

HOSTILE_SVGS = {
    "script": f"{SVG_OPEN}<script>alert('owned')</script>{RECT}</svg>",
    "onload": f'{SVG_OPEN[:-1]} onload="alert(1)">'
    f'<rect width="10" height="10" onclick="alert(2)" onmouseover="x()"/>{RECT}</svg>',
    "foreignObject": f"{SVG_OPEN}<foreignObject width='100' height='40'>"
    '<iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"/>'
    f"</foreignObject>{RECT}</svg>",
    "xlink_javascript": f'{SVG_OPEN}<a xlink:href="javascript:alert(1)">{RECT}</a>'
    f'<use xlink:href="javascript:alert(2)"/>{RECT}</svg>',
    "external_use": f'{SVG_OPEN}<use href="https://evil.example/x.svg#a"/>{RECT}</svg>',
    "style_import": f"{SVG_OPEN}<style>@import url(https://evil.example/x.css);"
    f"rect {{ fill: url(https://evil.example/p) }}</style>{RECT}</svg>",
    "style_attribute": f'{SVG_OPEN}<rect width="5" height="5" '
    f'style="fill:url(https://evil.example/track)"/>{RECT}</svg>',
    "set_href": f'{SVG_OPEN}<use href="#r"><set attributeName="href" '
    f'to="javascript:alert(1)"/></use>{RECT}</svg>',
    "image": f'{SVG_OPEN}<image href="https://evil.example/track.png" width="1" '
    f'height="1"/><image href="data:text/html,&lt;script&gt;"/>{RECT}</svg>',
}
LEFT_OUT = (
    "script",
    "alert",
    "onload",
    "onclick",
    "onmouseover",
    "foreignObject",
    "iframe",
    "javascript",
    "evil.example",
    "@import",
    "<set",
    "<image",
    "<a ",
    "data:",
)
REFUSED_SVGS = {
    "external_entity": (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM '
        '"file:///etc/passwd">]>'
        f"{SVG_OPEN}<text>&xxe;</text></svg>",
        "The SVG declares a DTD or entities, which are refused",
    ),
    "billion_laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        f"{SVG_OPEN}<text>&lol3;</text></svg>",
        "The SVG declares a DTD or entities, which are refused",
    ),
    "not_xml": (f"{SVG_OPEN}<rect></svg>", "The SVG could not be read as XML"),
    "deep": (
        SVG_OPEN + "<g>" * 5000 + "</g>" * 5000 + "</svg>",
        "The SVG nests its elements more than 100 deep.",
    ),
    "html": (
        "<html><body><script>alert(1)</script></body></html>",
        "This is not an SVG image: its first element must be <svg>",
    ),
}


def upload(client, kind, content: bytes, name="logo.png", slug="acme"):
    return client.post(
        f"/partners/{slug}/images/{kind}/",
        {"file": SimpleUploadedFile(name, content, content_type="image/png")},
    )


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def served(path: str, host: str = "testserver"):
    return Client().get(path, headers={"host": host})


def test_alice_uploads_a_logo_and_its_customers_pages_show_it(cast, client_for):
    alice = client_for(cast.alice)
    response = upload(alice, "logo", png(text={"Comment": "made-by-secret-tool"}))
    assert response.status_code == 302 and response["Location"] == "/settings/"
    image = BrandImage.objects.get(partner=cast.acme, kind="logo")
    assert (image.content_type, image.width, image.height) == ("image/png", 200, 60)
    settings_page = alice.get("/settings/").content.decode()
    assert f'src="{image.path}"' in settings_page
    assert "The new logo is saved." in settings_page

    answer = served(image.path)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert answer["Cache-Control"] == "public, max-age=31536000, immutable"
    assert image.sha256[:16] in image.path
    # Encoded again from the pixels: the upload's text chunk is gone.
    assert b"made-by-secret-tool" not in answer.content
    assert decoded(answer.content).size == (200, 60)

    event = AuditEvent.objects.get(action="partner.logo_set")
    assert event.partner_id == cast.acme.pk and event.actor_user_id == cast.alice.pk
    assert event.before == {"sha256": None}
    assert event.after["sha256"] == image.sha256
    assert event.after["width"] == 200


def test_a_new_logo_replaces_the_old_one_and_the_old_address_leads_to_it(
    cast, client_for
):
    alice = client_for(cast.alice)
    upload(alice, "logo", png(colour=(0, 0, 0)))
    old = BrandImage.objects.get(partner=cast.acme, kind="logo")
    upload(alice, "logo", webp(), name="logo.webp")
    new = BrandImage.objects.get(partner=cast.acme, kind="logo")
    assert new.content_type == "image/webp" and new.path.endswith(".webp")
    assert new.sha256 != old.sha256
    [_, replaced] = AuditEvent.objects.filter(action="partner.logo_set").order_by("id")
    assert replaced.before["sha256"] == old.sha256
    assert replaced.after["sha256"] == new.sha256
    # An email sent before the change still shows the partner's logo: today's.
    answer = served(old.path)
    assert answer.status_code == 302 and answer["Location"] == new.path
    assert served(new.path)["Content-Type"] == "image/webp"


def test_removing_the_logo_brings_back_the_product_name(cast, client_for):
    alice = client_for(cast.alice)
    upload(alice, "logo", png())
    path = BrandImage.objects.get(partner=cast.acme).path
    sha = BrandImage.objects.get(partner=cast.acme).sha256
    response = alice.post("/partners/acme/images/logo/remove/", follow=True)
    assert "The logo is removed." in response.content.decode()
    assert "No logo: your customers see the product name." in (
        response.content.decode()
    )
    assert not BrandImage.objects.filter(partner=cast.acme).exists()
    assert served(path).status_code == 404
    event = AuditEvent.objects.get(action="partner.logo_cleared")
    assert event.before["sha256"] == sha and event.after == {"sha256": None}


@pytest.mark.parametrize("name", HOSTILE_SVGS)
def test_a_hostile_svg_is_served_without_anything_that_could_run_or_fetch(
    cast, client_for, name
):
    response = upload(
        client_for(cast.alice), "logo", HOSTILE_SVGS[name].encode(), name="logo.svg"
    )
    assert response.status_code == 302, page_text(response)[-3000:]
    image = BrandImage.objects.get(partner=cast.acme, kind="logo")
    answer = served(image.path)
    assert answer["Content-Type"] == "image/svg+xml"
    assert answer["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    body = answer.content.decode()
    for hostile in LEFT_OUT:
        assert hostile not in body, (hostile, body)
    # What draws the logo is still there.
    assert 'fill="#7a1f5c"' in body and body.startswith("<svg ")


@pytest.mark.parametrize("name", REFUSED_SVGS)
def test_an_svg_that_cannot_be_made_safe_is_refused_with_the_reason(
    cast, client_for, name
):
    content, message = REFUSED_SVGS[name]
    response = upload(client_for(cast.alice), "logo", content.encode())
    assert response.status_code == 200
    assert message in page_text(response)
    assert not BrandImage.objects.filter(partner=cast.acme).exists()
    assert not AuditEvent.objects.filter(action="partner.logo_set").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (
            png(3000, 3000),
            "The image is 3000 × 3000 pixels; a logo may be at most 2000 × 2000.",
        ),
        (png(8, 8), "The image is 8 × 8 pixels; a logo must be at least 16 × 16."),
        (
            png_claiming(100_000, 100_000),
            "The image is far too large to read; a logo may be at most 2000 × 2000 "
            "pixels.",
        ),
        (
            b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024),
            "The file is 600 KB; a logo may be at most 512 KB.",
        ),
        (
            b"Just some text pretending to be a picture.\n",
            "This file is not a PNG, SVG or WebP image (its content was checked, "
            "not its name).",
        ),
        (
            gif(),
            "This file is not a PNG, SVG or WebP image (its content was checked, "
            "not its name).",
        ),
        (b"", "The file is empty."),
    ],
    ids=["huge", "tiny", "bomb", "oversize", "text", "gif", "empty"],
)
def test_a_file_outside_the_limits_is_refused_with_the_message_shown(
    cast, client_for, content, message
):
    response = upload(client_for(cast.alice), "logo", content, name="logo.png")
    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert 'aria-invalid="true"' in text
    assert not BrandImage.objects.exists()


def test_a_png_with_a_broken_body_is_refused(cast, actor_of):
    broken = png(400, 400)[:200]
    with pytest.raises(ValidationFailed) as refused:
        logos.check_image("logo", broken)
    assert refused.value.errors["file"] == [
        "The image could not be read: the file is damaged or incomplete."
    ]


def test_a_favicon_may_be_an_ico_and_is_served_as_png_on_the_customer_pages(
    cast, client_for
):
    alice = client_for(cast.alice)
    assert upload(alice, "favicon", ico(48), name="favicon.ico").status_code == 302
    favicon = BrandImage.objects.get(partner=cast.acme, kind="favicon")
    assert (favicon.content_type, favicon.width) == ("image/png", 48)
    assert decoded(served(favicon.path).content).format == "PNG"
    # The favicon's limits are its own.
    response = upload(alice, "favicon", png(600, 600))
    assert (
        "The image is 600 × 600 pixels; a favicon may be at most 512 × 512."
        in page_text(response)
    )
    response = upload(alice, "favicon", webp())
    assert "This file is not a PNG, ICO or SVG image" in page_text(response)


def test_staff_of_another_partner_or_without_the_right_cannot_change_a_logo(
    cast, client_for
):
    assert upload(client_for(cast.gina), "logo", png()).status_code == 404
    # A missing right answers as an unknown page.
    assert upload(client_for(cast.bob), "logo", png()).status_code == 404
    alice = client_for(cast.alice)
    assert upload(alice, "logo", png(), slug="globex").status_code == 404
    assert upload(alice, "wallpaper", png()).status_code == 404
    assert not BrandImage.objects.exists()
    upload(alice, "logo", png())
    gina = client_for(cast.gina)
    assert gina.post("/partners/acme/images/logo/remove/").status_code == 404
    assert BrandImage.objects.filter(partner=cast.acme).exists()


def test_the_operator_sets_a_partners_logo_from_the_partners_page(cast, client_for):
    olivia = client_for(cast.olivia)
    response = upload(olivia, "logo", png(), slug="globex")
    assert response["Location"] == "/partners/globex/edit/"
    assert BrandImage.objects.get(kind="logo").partner == cast.globex
    assert "Remove logo" in olivia.get("/partners/globex/edit/").content.decode()


def test_a_portal_host_serves_only_its_own_partners_logo(cast, client_for):
    cast.acme.portal_host = "account.acme-voice.example"
    cast.acme.save()
    cast.globex.portal_host = "my.globex.example"
    cast.globex.save()
    upload(client_for(cast.alice), "logo", png())
    upload(client_for(cast.gina), "logo", png(colour=(0, 90, 0)), slug="globex")
    acme_logo = BrandImage.objects.get(partner=cast.acme).path
    globex_logo = BrandImage.objects.get(partner=cast.globex).path
    assert served(acme_logo, "account.acme-voice.example").status_code == 200
    assert served(acme_logo, "my.globex.example").status_code == 404
    assert served(globex_logo, "account.acme-voice.example").status_code == 404
    assert served(globex_logo, "my.globex.example").status_code == 200
    # A switched-off partner's logo is not served at all.
    cast.globex.is_active = False
    cast.globex.save()
    assert served(globex_logo).status_code == 404


def test_the_settings_page_says_what_may_be_uploaded(cast, client_for):
    page = client_for(cast.alice).get("/settings/").content.decode()
    assert "PNG, SVG or WebP, at most 512 KB and 2000 × 2000 pixels" in page
    assert "No logo: your customers see the product name." in page
    assert 'enctype="multipart/form-data"' in page
    nothing = client_for(cast.alice).post("/partners/acme/images/logo/")
    assert "Choose a file to upload." in nothing.content.decode()
