"""The edge (SECURITY.md, "Requests and input"): text no person types is refused
wherever it arrives, bodies have limits per route, JSON API writes must be JSON,
and nothing the application answers may be cached."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from csrtool.audit.models import AuditEvent
from csrtool.cli import main
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.subscribers.models import Subscriber

SURROGATE = "\ud800"


def assert_problem(response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]


def json_body(data) -> str:
    # json.dumps writes a lone surrogate as the escape "\ud800", as clients do.
    return json.dumps(data)


# Lone surrogates and control characters: refused at the edge, the field named.


@pytest.mark.parametrize("suffix", ["/hold", "/assign", "/unassign"])
@pytest.mark.parametrize("value", [SURROGATE, "sub\x00", "a\x1bb"])
def test_api_refuses_a_lone_surrogate_or_control_character_in_a_json_string(
    cast, api_client_for, suffix, value
):
    make_number(cast.acme, "8005551235")
    response = api_client_for(cast.acme).post(
        f"/api/v1/numbers/8005551235{suffix}",
        json_body({"subscriber_id": value}),
        content_type="application/json",
    )
    assert_problem(response, 400, "invalid_characters", "subscriber_id")
    assert PhoneNumber.objects.get(dnis="8005551235").status == NumberStatus.AVAILABLE


def test_api_names_the_nested_field_and_refuses_a_surrogate_in_a_key(
    cast, api_client_for
):
    api = api_client_for(cast.acme, role="partner_admin")
    nested = api.post(
        "/api/v1/features/bulk",
        json_body({"subscriber_ids": ["ok", SURROGATE], "enable": []}),
        content_type="application/json",
    )
    key = api.post(
        "/api/v1/subscribers",
        json_body({SURROGATE: "x"}),
        content_type="application/json",
    )
    assert_problem(nested, 400, "invalid_characters", "subscriber_ids.1")
    assert_problem(key, 400, "invalid_characters", "\\ud800")


def test_api_refuses_a_nul_in_the_query_string(cast, api_client_for):
    response = api_client_for(cast.acme).get("/api/v1/subscribers", {"q": "sam\x00"})
    assert_problem(response, 400, "invalid_characters", "q")


@pytest.mark.parametrize(
    "path, field",
    [
        ("/features/", "subscriber"),
        ("/subscribers/", "q"),
        ("/numbers/lookup/", "q"),
        ("/numbers/assign/", "subscriber"),
    ],
)
def test_a_page_refuses_a_control_character_in_its_query_string(
    cast, client_for, path, field
):
    # A NUL in ?subscriber= reached PostgreSQL, which cannot compare one: a
    # server error. It is refused before any view runs, the field named, instead
    # of being read as some other value.
    response = client_for(cast.bob).get(path, {field: "sam\x00"})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        f"The field &#x27;{field}&#x27; contains the control character U+0000" in page
    )
    assert "sam@customer.example" not in page


def test_a_nul_subscriber_id_reads_as_unknown_to_the_services(cast, actor_of):
    from csrtool.errors import NotFound
    from csrtool.subscribers.services import get_subscriber

    with pytest.raises(NotFound):
        get_subscriber(actor=actor_of(cast.bob), public_id="sub\x00")


def test_a_form_post_with_a_control_character_is_a_field_error_and_saves_nothing(
    cast, client_for
):
    response = client_for(cast.bob).post(
        f"/subscribers/{cast.sam.public_id}/edit/",
        {"first_name": "Sam\x07", "last_name": "Sample", "billing_id": "ACME-100"},
    )
    assert response.status_code == 200
    assert "cannot contain control characters" in response.content.decode()
    cast.sam.refresh_from_db()
    assert cast.sam.first_name == "Sam"


def test_a_path_with_a_nul_is_refused(cast, client_for):
    response = client_for(cast.bob).get("/subscribers/%00/")
    assert response.status_code == 400
    assert "The address contains the control character U+0000" in (
        response.content.decode()
    )


def test_cli_refuses_control_characters_and_undecodable_bytes(cast, capsys):
    for argument in ["sam\x00", "caf\udcc3"]:
        with pytest.raises(SystemExit) as exit_:
            main(["csrtool", "subscribers", "show", argument])
        assert exit_.value.code == 2
        assert "argument 3 contains" in capsys.readouterr().err


def test_commands_refuse_control_characters_in_options_too(cast):
    with pytest.raises(CommandError, match="control character U\\+001B"):
        call_command("subscribers", "show", "sam\x1b")
    assert not AuditEvent.objects.filter(action__startswith="subscriber.").exists()


# Body limits, per route.


def test_an_oversize_json_body_is_413_problem_json(cast, api_client_for, settings):
    body = json_body({"first_name": "x" * (3 * 1024 * 1024)})
    api = api_client_for(cast.acme)
    plain = api.post("/api/v1/subscribers", body, content_type="application/json")
    keyed = api.post(
        "/api/v1/subscribers",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "big-1"},
    )
    assert_problem(plain, 413, "body_too_large")
    assert_problem(keyed, 413, "body_too_large")
    assert "1048576 bytes" in plain.json()["detail"]
    assert not Subscriber.objects.filter(first_name__startswith="xxx").exists()


def test_an_oversize_form_post_is_a_413_page(cast, client_for):
    # Django's default ceiling answered it with a bare 400.
    response = client_for(cast.bob).post(
        "/subscribers/new/", {"first_name": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert "Too large" in response.content.decode()


def test_the_number_import_takes_files_above_the_general_limit(
    cast, api_client_for, settings
):
    settings.MAX_BODY_BYTES = 2000
    rows = "".join(
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,\n" for n in range(200)
    )
    csv = "number,dnis,type,country_code,area_code,subscriber_id\n" + rows
    assert len(csv) > settings.MAX_BODY_BYTES
    api = api_client_for(cast.acme, role="partner_admin")
    response = api.post("/api/v1/numbers/import", csv, content_type="text/csv")
    assert response.status_code == 200, response.content[:500]
    assert response.json()["added"] == 200
    settings.MAX_IMPORT_BODY_BYTES = 2000
    again = api.post("/api/v1/numbers/import", csv, content_type="text/csv")
    assert_problem(again, 413, "body_too_large")


def test_an_import_file_of_3_mb_goes_through_the_api(cast, api_client_for):
    # Over Django's old 2.5 MB ceiling, which answered a 500 (RequestDataTooBig).
    rows = "".join(
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,\n" for n in range(10)
    )
    header = "number,dnis,type,country_code,area_code,subscriber_id\n"
    csv = header + rows + "\n" * (3 * 1024 * 1024)  # blank lines count for nothing
    api = api_client_for(cast.acme, role="partner_admin")
    response = api.post("/api/v1/numbers/import", csv, content_type="text/csv")
    assert response.status_code == 200, response.content[:500]
    assert response.json()["added"] == 10
    assert PhoneNumber.objects.filter(partner=cast.acme).count() == 10


def test_a_json_api_write_in_another_content_type_is_415(cast, api_client_for):
    api = api_client_for(cast.acme)
    form = api.post("/api/v1/subscribers", {"first_name": "Sam"})  # multipart
    text = api.post(
        "/api/v1/subscribers", '{"first_name": "Sam"}', content_type="text/plain"
    )
    csv_as_json = api.post(
        "/api/v1/numbers/import", "{}", content_type="application/json"
    )
    for response in (form, text, csv_as_json):
        assert_problem(response, 415, "unsupported_media_type")


# Nothing signed-in may be cached.


def test_every_signed_in_answer_is_no_store(cast, client_for, api_client_for):
    staff = client_for(cast.alice)
    answers = {
        "page": staff.get(f"/subscribers/{cast.sam.public_id}/"),
        "csv export": client_for(cast.avery).get("/audit/export.csv"),
        "new key secret": staff.post(
            "/settings/api-keys/", {"name": "Robot", "role": "csr"}
        ),
        "api json": api_client_for(cast.acme).get("/api/v1/subscribers"),
        "portal sign-in": staff.get("/portal/login/"),
    }
    assert "csr_" in answers["new key secret"].content.decode()
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name


def test_static_assets_keep_their_caching(client):
    response = client.get("/static/csrtool/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
