"""CSRTOOL_EMAIL_URL is read strictly: a typo stops the start, it is never guessed."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from csrtool.settings import email_from_url

DATA = Path("/srv/csrtool")


def test_no_url_writes_emails_into_the_data_directory():
    assert email_from_url("", DATA) == {
        "EMAIL_BACKEND": "csrtool.onboarding.mailfolder.FolderEmailBackend",
        "EMAIL_FILE_PATH": "/srv/csrtool/outbox",
    }


def test_plain_smtp_with_credentials_starttls_and_timeout():
    config = email_from_url(
        "smtp://mailer%40acme:p%40ss@mail.acme.example:587?starttls=true&timeout=12",
        DATA,
    )
    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.acme.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer@acme",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 12.0,
    }


def test_smtps_is_tls_from_the_first_byte_on_port_465():
    config = email_from_url("smtps://mail.acme.example", DATA)
    assert config["EMAIL_PORT"] == 465
    assert config["EMAIL_USE_SSL"] is True
    assert config["EMAIL_USE_TLS"] is False
    assert email_from_url("smtp://127.0.0.1", DATA)["EMAIL_PORT"] == 25


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.acme.example",
        "smtp://",
        "smtp://mail.acme.example?tls=yes",
        "smtp://mail.acme.example?starttls=maybe",
        "smtps://mail.acme.example?starttls=true",
        "smtp://mail.acme.example:port",
        "smtp://mail.acme.example?timeout=soon",
        "smtp://mail.acme.example?timeout=0",
    ],
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured, match="CSRTOOL_EMAIL_URL"):
        email_from_url(url, DATA)


def test_the_demo_folder_gets_one_file_per_email(cast, actor_of, settings, tmp_path):
    from csrtool.conftest import run_jobs
    from csrtool.onboarding.models import OutboundEmail

    settings.EMAIL_BACKEND = "csrtool.onboarding.mailfolder.FolderEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    from csrtool.onboarding import services

    services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    run_jobs()
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert "sam@customer.example" in files[0].name
    assert "/welcome/" in files[1].read_text()
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
