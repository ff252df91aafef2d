import json
import re

from django.core.management import call_command

from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.tests.answers import table_rows


def test_a_complete_number_opens_its_detail_page(cast, client_for):
    make_number(cast.acme, "8005551234")
    client = client_for(cast.bob)
    for typed in ["800-555-1234", "+1 800 555 1234", "8005551234"]:
        response = client.get("/numbers/lookup/", {"q": typed})
        assert response.status_code == 302
        assert response.url == "/numbers/8005551234/"


def test_a_dnis_typed_whole_opens_its_line_before_a_number_with_those_digits(
    cast, client_for
):
    # Two lines named by the same digits: one by its number, one by its DNIS.
    make_number(cast.acme, "8005551234")
    make_number(cast.acme, "18005551234", number="+18005559999")
    response = client_for(cast.bob).get("/numbers/lookup/", {"q": "18005551234"})
    assert response.status_code == 302
    assert response.url == "/numbers/18005551234/"


def test_part_of_a_number_lists_every_number_containing_it(cast, client_for):
    make_number(cast.acme, "8005551234")
    make_number(cast.acme, "2125551299")
    make_number(cast.acme, "2129990000")
    make_number(cast.globex, "4155551200")

    response = client_for(cast.bob).get("/numbers/lookup/", {"q": "555-12"})

    assert "2 numbers contain “555-12”." in response.text
    assert "8005551234" in response.text
    assert "2125551299" in response.text
    assert "2129990000" not in response.text
    assert "4155551200" not in response.text


def test_each_listed_number_reads_as_a_csr_reads_it(cast, client_for):
    make_number(
        cast.acme,
        "8005551234",
        status=NumberStatus.ASSIGNED,
        subscriber=cast.sam,
    )
    make_number(cast.acme, "2125551299", number_type="local")

    response = client_for(cast.bob).get("/numbers/lookup/", {"q": "555-12"})

    assert table_rows(response) == [
        "+1 212-555-1299 | 2125551299 | Local | +1 | 212 | Available | ",
        f"+1 800-555-1234 | 8005551234 | Toll-free | +1 | 800 | Assigned | "
        f"{cast.sam.full_name}",
    ]
    assert '<a href="/numbers/8005551234/">' in response.text
    assert f'<a href="/subscribers/{cast.sam.public_id}/">' in response.text


def test_no_match_says_so(cast, client_for):
    make_number(cast.globex, "8005551234")
    response = client_for(cast.bob).get("/numbers/lookup/", {"q": "8005551234"})
    assert response.status_code == 200
    assert "No number in the pool contains “8005551234”." in response.text


def test_the_detail_page_shows_the_number_its_owner_and_history(
    cast, client_for, actor_of
):
    from csrtool.numberpool.services import assign_number

    make_number(cast.acme, "8005551234")
    assign_number(
        actor=actor_of(cast.bob), number="8005551234", subscriber_id=cast.sam.public_id
    )

    response = client_for(cast.bob).get("/numbers/8005551234/")

    text = response.text
    assert "+1 800-555-1234" in text
    assert "<code>8005551234</code>" in text
    assert "Toll-free" in text
    assert f'href="/subscribers/{cast.sam.public_id}/">Sam Sample</a>' in text
    assert "still assigned" in text
    assert "number.assigned" in text
    assert ">Unassign</button>" in text


def test_an_available_number_offers_assign_with_the_number_filled_in(cast, client_for):
    make_number(cast.acme, "8005551234")
    response = client_for(cast.bob).get("/numbers/8005551234/")
    assert 'href="/numbers/assign/?number=8005551234">Assign</a>' in response.text


def test_an_auditor_sees_the_number_without_actions(cast, client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    response = client_for(cast.avery).get("/numbers/8005551234/")
    assert response.status_code == 200
    assert "Unassign" not in response.text


def test_charlie_gets_a_404_for_acmes_number(cast, client_for):
    make_number(cast.acme, "8005551234")
    assert client_for(cast.charlie).get("/numbers/8005551234/").status_code == 404
    assert client_for(cast.charlie).get("/numbers/8005550000/").status_code == 404


def test_numbers_ending_in_the_digits_come_first_on_the_page_the_api_and_the_cli(
    cast, client_for, api_client_for, capsys
):
    # In number order the two that hold 4420 inside come first.
    for dnis in ["2124420001", "2124420002", "9175554420", "3125554420", "4155551200"]:
        make_number(cast.acme, dnis)
    make_number(cast.globex, "6465554420")
    wanted = ["3125554420", "9175554420", "2124420001", "2124420002"]

    page = client_for(cast.bob).get("/numbers/lookup/", {"q": "4420"}).text
    assert "4 numbers contain “4420”." in page
    assert "Numbers ending in 4420 are listed first." in page
    assert re.findall(r"<td><code>(\d+)</code></td>", page) == wanted

    shown, cursor = [], None
    api = api_client_for(cast.acme)
    for _ in range(len(wanted)):
        params = {"q": "4420", "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/numbers", params).json()
        shown += [item["dnis"] for item in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert shown == wanted

    call_command("numbers", "search", "4420", "--json", "--as", "bob@acme.example")
    assert [line["dnis"] for line in json.loads(capsys.readouterr().out)] == wanted
