import io
import json

import pytest
from django.core.management import CommandError, call_command

from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.tests.answers import assert_cli_answers_alike

HEADER = "number,dnis,type,country_code,area_code,subscriber_id\n"


def block(first, count):
    return "".join(
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,\n"
        for n in range(first, first + count)
    )


def run(*args, capsys=None):
    call_command("numbers", *args)
    return capsys.readouterr() if capsys else None


def test_it_imports_a_file_as_a_partner_admin(cast, tmp_path, capsys):
    source = tmp_path / "pool.csv"
    source.write_text(HEADER + block(100, 3))

    out = run("import", str(source), "--as", "alice@acme.example", capsys=capsys).out

    assert "3 rows: 3 added, 0 already present, 0 with errors." in out
    assert PhoneNumber.objects.for_partner(cast.acme).count() == 3


def test_a_dry_run_writes_nothing(cast, tmp_path, capsys):
    source = tmp_path / "pool.csv"
    source.write_text(HEADER + block(100, 3))

    out = run(
        "import", str(source), "--partner", "acme", "--dry-run", capsys=capsys
    ).out

    assert "3 rows: 3 will be added, 0 already present, 0 with errors." in out
    assert PhoneNumber.objects.count() == 0


def test_rows_with_errors_are_reported_and_the_exit_is_non_zero(cast, tmp_path, capsys):
    source = tmp_path / "pool.csv"
    source.write_text(HEADER + block(100, 2) + "+18005550109,123,tollfree,1,800,\n")

    with pytest.raises(CommandError) as e:
        run("import", str(source), "--partner", "acme", "--json", capsys=capsys)

    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["already_present"]) == (2, 0)
    assert [(row["line"], row["number"]) for row in report["errors"]] == [
        (4, "+18005550109")
    ]
    assert "DNIS 123 does not match" in report["errors"][0]["reason"]
    assert "1 row could not be imported" in str(e.value)
    assert PhoneNumber.objects.count() == 2


def test_importing_the_same_file_again_adds_nothing(cast, tmp_path, capsys):
    source = tmp_path / "pool.csv"
    source.write_text(HEADER + block(100, 3))
    run("import", str(source), "--partner", "acme", capsys=capsys)

    out = run("import", str(source), "--partner", "acme", capsys=capsys).out

    assert "3 rows: 0 added, 3 already present, 0 with errors." in out
    assert PhoneNumber.objects.count() == 3


def test_a_bad_header_is_a_clear_error(cast, tmp_path):
    source = tmp_path / "pool.csv"
    source.write_text("phone,dnis\n+18005550100,8005550100\n")

    with pytest.raises(CommandError) as e:
        call_command("numbers", "import", str(source), "--partner", "acme")

    assert "Unknown column(s): phone." in str(e.value)


def test_a_missing_file_is_a_clear_error(cast, tmp_path):
    with pytest.raises(CommandError) as e:
        call_command(
            "numbers", "import", str(tmp_path / "nope.csv"), "--partner", "acme"
        )

    assert "Cannot read" in str(e.value)


def test_it_reads_standard_input_and_refuses_text_that_is_not_utf8(
    cast, monkeypatch, capsys
):
    source = io.TextIOWrapper(io.BytesIO((HEADER + block(100, 2)).encode()))
    monkeypatch.setattr("sys.stdin", source)

    out = run("import", "-", "--partner", "acme", capsys=capsys).out

    assert "2 rows: 2 added, 0 already present, 0 with errors." in out
    latin = io.TextIOWrapper(io.BytesIO("número\n".encode("latin-1")))
    monkeypatch.setattr("sys.stdin", latin)
    with pytest.raises(CommandError) as e:
        run("import", "-", "--partner", "acme")
    assert "The file is not UTF-8 text." in str(e.value)


def test_a_csr_cannot_import(cast, tmp_path):
    source = tmp_path / "pool.csv"
    source.write_text(HEADER + block(100, 1))

    with pytest.raises(CommandError) as e:
        call_command("numbers", "import", str(source), "--as", "bob@acme.example")

    assert "permission" in str(e.value)


def test_export_writes_a_file_that_imports_back_unchanged(cast, tmp_path, capsys):
    make_number(cast.acme, "8005550101")
    make_number(
        cast.acme, "8005550102", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(cast.globex, "8005550103")
    target = tmp_path / "export.csv"

    run("export", "--as", "alice@acme.example", "--output", str(target))
    first = target.read_text()
    PhoneNumber.objects.for_partner(cast.acme).delete()
    run("import", str(target), "--partner", "acme", capsys=capsys)
    out = run("export", "--partner", "acme", capsys=capsys).out

    assert out == first
    assert first == (
        HEADER
        + "+18005550101,8005550101,tollfree,1,800,\n"
        + f"+18005550102,8005550102,tollfree,1,800,{cast.sam.public_id}\n"
    )


def test_a_partner_exports_only_its_own_pool(cast, capsys):
    make_number(cast.acme, "8005550101")

    out = run("export", "--as", "charlie@globex.example", capsys=capsys).out

    assert out == HEADER
    answer = assert_cli_answers_alike(
        ("numbers", "export", "--as", "charlie@globex.example", "--partner", "{}"),
        foreign="acme",
        unknown="zeta",
    )
    assert answer["call_command"][1] == (
        "No partner has the slug '<id>'. Use --partner globex."
    )
