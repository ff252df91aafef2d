from csrtool.audit.models import AuditEvent
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.partners.models import Role

HEADER = "number,dnis,type,country_code,area_code,subscriber_id\n"


def block(first, count):
    return "".join(
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,\n"
        for n in range(first, first + count)
    )


def send(client, text, query="", **headers):
    return client.post(
        "/api/v1/numbers/import" + query,
        text.encode(),
        content_type="text/csv",
        headers=headers,
    )


def test_a_dry_run_answers_what_importing_would_do(cast, api_client_for):
    make_number(cast.acme, "8005550101")
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)

    response = send(
        api, HEADER + block(100, 3) + "bad,1,tollfree,1,800,\n", "?dry_run=true"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["rows"], body["will_add"]) == (True, 4, 2)
    assert (body["added"], body["already_present"]) == (0, 1)
    assert [(e["line"], e["number"]) for e in body["errors"]] == [(5, "bad")]
    assert PhoneNumber.objects.count() == 1


def test_an_import_adds_the_numbers_and_sending_it_again_adds_nothing(
    cast, api_client_for
):
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)

    first = send(api, HEADER + block(100, 3)).json()
    second = send(api, HEADER + block(100, 3)).json()

    assert (first["status"], first["added"]) == ("completed", 3)
    assert (second["added"], second["already_present"]) == (0, 3)
    assert PhoneNumber.objects.for_partner(cast.acme).count() == 3
    event = AuditEvent.objects.filter(action="number.imported").first()
    assert (event.channel, event.actor_kind) == ("api", "api_key")


def test_a_retry_with_the_same_idempotency_key_replays_the_answer(cast, api_client_for):
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)

    first = send(api, HEADER + block(100, 2), **{"Idempotency-Key": "k-1"})
    again = send(api, HEADER + block(100, 2), **{"Idempotency-Key": "k-1"})

    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="number_import.completed").count() == 1


def test_a_bad_header_is_a_problem(cast, api_client_for):
    response = send(api_client_for(cast.acme, role=Role.PARTNER_ADMIN), "a,b\n1,2\n")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_failed"
    assert "Unknown column(s): a, b." in response.json()["errors"][0]["message"]


def test_an_empty_body_or_one_that_is_not_utf8_is_a_problem(cast, api_client_for):
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)

    empty = send(api, " \r\n")
    latin = api.post(
        "/api/v1/numbers/import",
        HEADER.encode() + "número\n".encode("latin-1"),
        content_type="text/csv",
    )

    assert [empty.status_code, latin.status_code] == [400, 400]
    assert empty.json()["errors"][0]["message"] == "Send the CSV as the request body."
    assert latin.json()["errors"][0]["message"] == (
        "The file is not UTF-8 text. Save it as CSV (UTF-8) and retry."
    )
    assert not PhoneNumber.objects.exists()


def test_a_csr_key_cannot_import(cast, api_client_for):
    response = send(api_client_for(cast.acme), HEADER + block(100, 1))

    assert response.status_code == 403
    assert PhoneNumber.objects.count() == 0


def test_the_export_answers_the_keys_pool_as_csv(cast, api_client_for):
    make_number(cast.acme, "8005550101")
    make_number(
        cast.acme, "8005550102", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(cast.globex, "8005550103")

    response = api_client_for(cast.acme, role=Role.AUDITOR).get(
        "/api/v1/numbers/export"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).decode() == (
        HEADER
        + "+18005550101,8005550101,tollfree,1,800,\n"
        + f"+18005550102,8005550102,tollfree,1,800,{cast.sam.public_id}\n"
    )


def test_an_export_imports_back_through_the_api(cast, api_client_for):
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)
    send(api, HEADER + block(100, 5))
    exported = b"".join(api.get("/api/v1/numbers/export").streaming_content).decode()
    PhoneNumber.objects.all().delete()

    body = send(api, exported).json()

    assert (body["added"], body["errors"]) == (5, [])
    again = b"".join(api.get("/api/v1/numbers/export").streaming_content).decode()
    assert again == exported


def test_another_partners_key_never_sees_the_pool(cast, api_client_for):
    make_number(cast.acme, "8005550101")

    response = api_client_for(cast.globex).get("/api/v1/numbers/export")

    assert b"".join(response.streaming_content).decode() == HEADER


def test_import_and_export_are_in_the_openapi_document(cast):
    from django.test import Client

    paths = Client().get("/api/v1/openapi.json").json()["paths"]

    assert (
        "text/csv" in paths["/api/v1/numbers/import"]["post"]["requestBody"]["content"]
    )
    assert "get" in paths["/api/v1/numbers/export"]
