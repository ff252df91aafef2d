"""A partner's logo and favicon through the API (multipart upload, read, remove)
and the command line, with the page's rules and messages."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.partners.models import BrandImage, Role
from csrtool.partners.tests.images import decoded, png, webp

HOSTILE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(2)</script><rect width='9' height='9'/></svg>"
)


def upload(api, path, content: bytes, name="logo.png"):
    return api.post(path, {"file": SimpleUploadedFile(name, content)})


def test_a_partner_admins_key_uploads_reads_and_removes_the_logo(
    cast, api_client_for, settings
):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    path = "/api/v1/partners/acme/images/logo"
    assert api.get(path).status_code == 404
    answer = upload(api, path, webp(), name="anything.bin")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    image = BrandImage.objects.get(partner=cast.acme, kind="logo")
    assert body["content_type"] == "image/webp"
    assert (body["width"], body["height"]) == (120, 40)
    assert body["sha256"] == image.sha256
    assert body["url"] == settings.BASE_URL + image.path
    assert api.get(path).json() == body
    assert Client().get(image.path).content == bytes(image.content)
    assert AuditEvent.objects.get(action="partner.logo_set").channel == "api"

    removed = api.delete(path)
    assert removed.status_code == 204
    assert not BrandImage.objects.exists()
    assert AuditEvent.objects.get(action="partner.logo_cleared").channel == "api"
    again = api.delete(path)
    assert again.status_code == 404
    assert again.json()["detail"] == "Acme Telecom has no logo to remove."


def test_the_api_refuses_what_the_page_refuses(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    path = "/api/v1/partners/acme/images/logo"
    refused = upload(api, path, b"GIF89a not really", name="logo.png")
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [
        {
            "field": "file",
            "message": "This file is not a PNG, SVG or WebP image (its content was "
            "checked, not its name).",
        }
    ]
    huge = upload(api, path, png(2500, 100))
    assert huge.json()["errors"][0]["message"] == (
        "The image is 2500 × 100 pixels; a logo may be at most 2000 × 2000."
    )
    banner = upload(api, "/api/v1/partners/acme/images/banner", png())
    assert banner.json()["errors"] == [
        {"field": "kind", "message": "Input should be 'logo' or 'favicon'"}
    ]
    missing = api.post(path, {})
    assert missing.json()["errors"] == [{"field": "file", "message": "Field required"}]
    assert not BrandImage.objects.exists()
    # A hostile SVG goes in harmless.
    assert upload(api, path, HOSTILE, name="logo.svg").status_code == 200
    served = Client().get(BrandImage.objects.get().path).content
    assert b"script" not in served and b"onload" not in served and b"<rect" in served


def test_a_key_reaches_only_its_own_partners_images(cast, api_client_for):
    gina = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    acme = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    upload(acme, "/api/v1/partners/acme/images/logo", png())
    path = "/api/v1/partners/acme/images/logo"
    assert upload(gina, path, png()).status_code == 404
    assert gina.get(path).status_code == 404
    assert gina.delete(path).status_code == 404
    csr = api_client_for(cast.acme, Role.CSR)
    assert upload(csr, path, png()).status_code == 403
    assert csr.delete(path).status_code == 403
    assert (
        BrandImage.objects.get().sha256 == (acme.get(path).json()["sha256"])
    )  # untouched


def test_the_upload_is_in_the_openapi_document(cast, api_client_for):
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/partners/{slug}/images/{kind}"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]


def logo_command(capsys, *args):
    call_command("partnerlogo", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_the_command_line_sets_shows_and_clears_a_logo_and_favicon(
    cast, capsys, tmp_path
):
    logo = tmp_path / "logo.svg"
    logo.write_bytes(HOSTILE)
    shown = logo_command(capsys, "set", "acme", str(logo))
    assert shown["content_type"] == "image/svg+xml" and shown["width"] is None
    assert b"script" not in bytes(BrandImage.objects.get(kind="logo").content)
    assert logo_command(capsys, "show", "acme") == shown
    favicon = tmp_path / "icon.png"
    favicon.write_bytes(png(32, 32))
    call_command("partnerlogo", "set", "acme", str(favicon), "--favicon")
    out = capsys.readouterr().out
    assert "Saved the favicon of Acme Telecom." in out
    assert "image/png, 32 × 32 pixels" in out
    call_command("partnerlogo", "clear", "acme")
    assert "Removed the logo of Acme Telecom." in capsys.readouterr().out
    assert list(BrandImage.objects.values_list("kind", flat=True)) == ["favicon"]
    actions = list(
        AuditEvent.objects.filter(action__startswith="partner.")
        .order_by("id")
        .values_list("action", "channel")
    )
    assert actions == [
        ("partner.logo_set", "cli"),
        ("partner.favicon_set", "cli"),
        ("partner.logo_cleared", "cli"),
    ]


def test_the_command_line_refuses_with_the_pages_messages(cast, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(png(2100, 2100))
    with pytest.raises(CommandError, match="2100 × 2100 pixels; a logo may be at"):
        call_command("partnerlogo", "set", "acme", str(big))
    with pytest.raises(CommandError, match="Cannot read .*missing.png"):
        call_command("partnerlogo", "set", "acme", str(tmp_path / "missing.png"))
    fine = tmp_path / "fine.png"
    fine.write_bytes(png())
    # Another partner's admin: the partner is unknown to them.
    with pytest.raises(CommandError, match="No partner has the slug 'acme'"):
        call_command(
            "partnerlogo", "set", "acme", str(fine), "--as", "gina@globex.example"
        )
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "partnerlogo", "set", "acme", str(fine), "--as", "bob@acme.example"
        )
    with pytest.raises(CommandError, match="Acme Telecom has no logo to remove"):
        call_command("partnerlogo", "clear", "acme")
    assert not BrandImage.objects.exists()
    call_command("partnerlogo", "set", "acme", str(fine), "--as", "alice@acme.example")
    assert decoded(bytes(BrandImage.objects.get().content)).size == (200, 60)
