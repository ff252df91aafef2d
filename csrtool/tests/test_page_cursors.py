"""Page cursors come back from the client: a forged one starts from the top."""

import base64
from datetime import UTC, datetime

import pytest

from csrtool.pagination import decode_cursor, encode_cursor


def raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_cursor_we_hand_out_reads_back():
    created_at = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert decode_cursor(encode_cursor(created_at, 42)) == (created_at, 42)
    last = 2**63 - 1
    assert decode_cursor(encode_cursor(created_at, last)) == (created_at, last)


@pytest.mark.parametrize(
    "cursor",
    [
        raw("2024-05-01T12:30:00|42"),  # no offset: never one of ours
        raw("2024-05-01|42"),
        raw("not a time|42"),
        raw("2024-05-01T12:30:00+00:00|x"),
        raw("2024-05-01T12:30:00+00:00|" + "9" * 30),  # no column holds that id
        raw(f"2024-05-01T12:30:00+00:00|{2**63}"),
        "!!!",
        "\x00",
        "",
        None,
    ],
)
def test_a_forged_cursor_reads_as_no_cursor(cursor):
    assert decode_cursor(cursor) is None


def test_the_lookup_page_with_a_cursor_without_offset_starts_from_the_top(
    cast, client_for
):
    response = client_for(cast.bob).get(
        "/subscribers/", {"q": "Sam", "after": raw("2999-01-01T00:00:00|1")}
    )
    assert response.status_code == 200
    assert cast.sam.public_id in response.content.decode()
