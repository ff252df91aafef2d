"""An uploaded CSV read as it arrives: never whole, yet line for line what the
same text given whole reads, whichever bytes its blocks are cut on."""

import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csrtool.csvfiles import Upload, lines_of, whole_lines
from csrtool.errors import ValidationFailed
from csrtool.numberpool.imports import file_hash

BOUNDED = settings(max_examples=300, deadline=None, derandomize=True, database=None)
# Line endings of every kind, a quote, a comma, a two-byte and a four-byte character.
csv_like = st.lists(
    st.sampled_from(["a", "7", ",", '"', "\r", "\n", "\r\n", "é", "😀"]), max_size=40
).map("".join)


def upload_of(data: bytes, block: int) -> Upload:
    class Small(Upload):
        BLOCK = block

    return Small.from_stream(io.BytesIO(data), name="numbers.csv")


@BOUNDED
@given(csv_like, st.lists(st.integers(min_value=0, max_value=60), max_size=6))
def test_lines_cut_anywhere_read_as_the_whole_text(text, cuts):
    cuts = sorted(min(cut, len(text)) for cut in cuts)
    blocks = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]

    assert list(whole_lines(blocks)) == list(lines_of(text))


@BOUNDED
@given(
    csv_like,
    st.booleans(),
    st.integers(min_value=1, max_value=9),
    st.integers(min_value=1, max_value=30),
)
def test_an_upload_reads_as_its_text_a_block_at_a_time(text, marked, block, size):
    data = ("\ufeff" if marked else "") + text

    with upload_of(data.encode(), block) as upload:
        pieces = list(upload.pieces(size))

        assert list(upload.lines()) == list(lines_of(text))
        assert upload.sha256 == file_hash(text)
        assert upload.blank == (not text.strip())
    assert "".join(pieces) == text
    assert all(pieces)
    # Each piece is whole lines: read one by one, they give the same lines.
    assert list(itertools.chain(*map(lines_of, pieces))) == list(lines_of(text))


def test_a_piece_ends_at_the_end_of_a_line_once_it_is_long_enough():
    with upload_of(b"ab\r\ncd\ref\ngh", 2) as upload:
        assert list(upload.pieces(3)) == ["ab\r\n", "cd\r", "ef\n", "gh"]


def test_text_that_is_not_utf8_is_refused_wherever_it_is():
    data = b"number\n+18005550100\n" * 100 + "número".encode("latin-1")

    with pytest.raises(ValidationFailed) as e:
        upload_of(data, 64)

    assert e.value.errors == {
        "file": ["The file is not UTF-8 text. Save it as CSV (UTF-8) and retry."]
    }
