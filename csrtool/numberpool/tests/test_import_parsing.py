import tracemalloc

import pytest

from csrtool.errors import ValidationFailed
from csrtool.numberpool.imports import (
    MAX_RANGE,
    ImportRow,
    check_fields,
    decode_upload,
    expand_range,
    parse_csv,
)
from csrtool.numberpool.imports.rows import FirstLines

HEADER = "number,dnis,type,country_code,area_code,subscriber_id\n"


def test_it_reads_every_row_with_its_line_number():
    rows = parse_csv(
        HEADER
        + "+18005550100,8005550100,tollfree,US,800,\n"
        + "\n"
        + " +12125550101 , 2125550101 ,local,US,212,abc\n"
    )

    assert [(r.line, r.number, r.dnis, r.subscriber_id) for r in rows] == [
        (2, "+18005550100", "8005550100", ""),
        (4, "+12125550101", "2125550101", "abc"),
    ]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_it_reads_every_line_ending_and_a_quoted_value_over_two_lines(ending):
    rows = parse_csv(
        ending.join(
            [
                HEADER.strip(),
                "+18005550100,8005550100,tollfree,US,800,",
                '"+1212555',
                '0101",2125550101,local,US,212,abc',
                "+18005550102,8005550102,tollfree,US,800,",
            ]
        )
    )

    assert [(r.line, r.number, r.dnis, r.subscriber_id) for r in rows] == [
        (2, "+18005550100", "8005550100", ""),
        (4, "+1212555" + ending + "0101", "2125550101", "abc"),
        (5, "+18005550102", "8005550102", ""),
    ]


def test_a_repeat_is_the_same_number_or_the_same_dnis_digits_zeros_included():
    rows = parse_csv(
        HEADER
        + "+442079460000,02079460000,local,44,20,\n"
        + "+12079460000,2079460000,local,1,207,\n"
        + "+1 207 946 0000,12079460000,local,1,207,\n"
        + "+1 800 555 0100,8005550100,tollfree,1,800,\n"
        + "+44 800 555 0100,8005550100,tollfree,44,800,\n"
    )

    check_fields(rows, region=None)

    assert [(row.line, row.reason) for row in rows] == [
        (2, ""),
        (3, ""),
        (4, "The same number is also on line 3."),
        (5, ""),
        (6, "The same DNIS is also on line 5."),
    ]


def test_the_repeats_check_keeps_the_lines_it_remembers_out_of_memory():
    """Checked a chunk at a time, a file of any length takes the same memory:
    the first line of every number and DNIS is kept on disk, not in Python."""
    chunks = [
        [
            ImportRow(line=n, number=f"+1800{n:07d}", dnis=f"800{n:07d}")
            for n in range(start, start + 2000)
        ]
        for start in range(0, 40_000, 2000)
    ]
    tracemalloc.start()
    try:
        with FirstLines() as first_lines:
            before = tracemalloc.get_traced_memory()[0]
            for chunk in chunks:
                first_lines.mark_repeats(chunk)
            held = tracemalloc.get_traced_memory()[0] - before
            repeat = ImportRow(line=1, number="+18000039999", dnis="8000039999")
            first_lines.mark_repeats([repeat])
    finally:
        tracemalloc.stop()

    assert not any(row.errors for chunk in chunks for row in chunk)
    assert repeat.reason == "The same number is also on line 39999."
    # A dict of the 80,000 lines would hold several megabytes.
    assert held < 256 * 1024


def test_it_accepts_columns_in_any_order_and_without_subscriber_id():
    rows = parse_csv(
        "DNIS,Number,type,area_code,country_code\n555,+18005550100,x,8,U\n"
    )

    assert rows[0].number == "+18005550100"
    assert rows[0].dnis == "555"
    assert rows[0].subscriber_id == ""


def test_it_accepts_a_utf8_byte_order_mark():
    rows = parse_csv(decode_upload(("\ufeff" + HEADER + "+1,1,local,US,1,\n").encode()))

    assert rows[0].number == "+1"


def test_it_refuses_text_that_is_not_utf8():
    with pytest.raises(ValidationFailed) as e:
        decode_upload("número".encode("latin-1"))

    assert "UTF-8" in e.value.errors["file"][0]


def test_it_refuses_a_file_without_the_header():
    with pytest.raises(ValidationFailed) as e:
        parse_csv("+18005550100,8005550100,tollfree,US,800,\n")

    message = " ".join(e.value.errors["file"])
    assert "Unknown column(s)" in message
    assert "number,dnis,type,country_code,area_code,subscriber_id" in message


def test_it_names_missing_unknown_and_repeated_columns():
    with pytest.raises(ValidationFailed) as e:
        parse_csv("number,number,colour,type\n")

    message = " ".join(e.value.errors["file"])
    assert "Unknown column(s): colour." in message
    assert "Missing column(s): dnis, country_code, area_code." in message
    assert "Column(s) given twice: number." in message


def test_it_refuses_an_empty_file():
    with pytest.raises(ValidationFailed) as e:
        parse_csv("\n \n")

    assert e.value.errors["file"] == ["The file is empty."]


def test_it_marks_a_row_with_too_few_or_too_many_values():
    rows = parse_csv(HEADER + "+18005550100,8005550100\n")

    assert rows[0].errors == ["Expected 6 values, found 2."]


def test_a_range_lists_every_number_of_the_block():
    numbers = expand_range("+1 800 555 0198", "+1 (800) 555-0201")

    assert numbers == ["+18005550198", "+18005550199", "+18005550200", "+18005550201"]


def test_a_range_of_one_number_is_that_number():
    assert expand_range("+18005550100", "+18005550100") == ["+18005550100"]


def test_a_range_keeps_leading_zeros_of_the_national_number():
    numbers = expand_range("+44 20 7946 0009", "+44 20 7946 0010")

    assert numbers == ["+442079460009", "+442079460010"]


def test_a_range_must_not_run_backwards():
    with pytest.raises(ValidationFailed) as e:
        expand_range("+18005550199", "+18005550100")

    assert e.value.errors == {
        "last": ["The last number must not come before the first."]
    }


def test_a_range_stays_within_one_country():
    with pytest.raises(ValidationFailed) as e:
        expand_range("+18005550100", "+442079460010")

    assert "same block" in e.value.errors["last"][0]


def test_a_range_has_a_sane_maximum_size():
    with pytest.raises(ValidationFailed) as e:
        expand_range("+18005500000", f"+1{8005500000 + MAX_RANGE}")

    assert f"at most {MAX_RANGE:,} numbers" in e.value.errors["last"][0]


def test_a_range_reports_each_unreadable_end():
    with pytest.raises(ValidationFailed) as e:
        expand_range("not a number", "")

    assert set(e.value.errors) == {"first", "last"}
