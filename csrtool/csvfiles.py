"""CSV files in and out, as every bulk door reads and writes them: the upload's
encoding, a header naming the columns, a file named on the command line, and
cells a spreadsheet must not run as formulas."""

import codecs
import contextlib
import csv
import gc
import hashlib
import itertools
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.core.management.base import CommandError

from csrtool.errors import ValidationFailed


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector off while a whole file becomes objects.

    Rows hold no reference cycles, yet each thousand new objects sets the
    collector going, and its full passes walk every row made so far: the
    larger the file, the more of its reading they take."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


NOT_UTF8 = "The file is not UTF-8 text. Save it as CSV (UTF-8) and retry."


def decode_upload(data: bytes) -> str:
    """Uploaded bytes as text: UTF-8 (with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": [NOT_UTF8]}) from None


class Upload:
    """A CSV file as it arrives (a file named on the command line, standard
    input, a request body), never held whole: its bytes are copied to an
    anonymous temporary file as they are read, checked as UTF-8 and hashed on
    the way, then read back a block at a time as often as needed.

    `sha256` is `file_hash` of the text the file holds (a byte-order mark
    dropped), so an upload and the same text given whole hash alike. Close it
    (or use it as a context manager) to drop the temporary file.
    """

    BLOCK = 1 << 16

    def __init__(self, file, *, name: str, sha256: str, blank: bool):
        self._file = file
        self.name = name
        self.sha256 = sha256
        # Only whitespace (or nothing) in the file.
        self.blank = blank

    @classmethod
    def from_stream(cls, stream, *, name: str) -> "Upload":
        """Read a binary stream to its end; refuse text that is not UTF-8."""
        file = tempfile.TemporaryFile()  # noqa: SIM115 (the Upload closes it)
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        digest = hashlib.sha256()
        blank = True
        try:
            while block := stream.read(cls.BLOCK):
                text = decoder.decode(block)
                digest.update(text.encode("utf-8"))
                blank = blank and not text.strip()
                file.write(block)
            text = decoder.decode(b"", final=True)
            digest.update(text.encode("utf-8"))
            blank = blank and not text.strip()
        except UnicodeDecodeError:
            file.close()
            raise ValidationFailed({"file": [NOT_UTF8]}) from None
        except BaseException:
            file.close()
            raise
        return cls(file, name=name, sha256=digest.hexdigest(), blank=blank)

    @classmethod
    def from_text(cls, text: str, *, name: str = "") -> "Upload":
        """Text already in memory (a range, pasted lines), read like a file."""
        return cls.from_stream(_TextStream(text), name=name)

    def text(self) -> str:
        """The whole text, for readers that need it at once."""
        return "".join(self._text())

    def lines(self) -> Iterator[str]:
        """The file's lines, endings kept (as `lines_of`), read a block at a time."""
        return whole_lines(self._text())

    def pieces(self, size: int) -> Iterator[str]:
        """The file's text in pieces of whole lines, each `size` characters or
        a little more (up to the next line's end); joined, the text."""
        held, length = [], 0
        for block in self._text():
            held.append(block)
            length += len(block)
            end = _line_end(block) if length >= size else 0
            if end:
                held[-1] = block[:end]
                yield "".join(held)
                held, length = [block[end:]], len(block) - end
        if length:
            yield "".join(held)

    def _text(self) -> Iterator[str]:
        self._file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        while block := self._file.read(self.BLOCK):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class _TextStream:
    """Text read as a binary stream, a block of characters at a time."""

    def __init__(self, text: str):
        self._text = text
        self._at = 0

    def read(self, size: int) -> bytes:
        block = self._text[self._at : self._at + size]
        self._at += size
        return block.encode("utf-8")


# A line and its ending (\n, \r\n or \r), or a last line without one.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def lines_of(text: str) -> Iterator[str]:
    """The lines of a text, endings kept, as `io.StringIO(text, newline="")`
    gives them, without its copy of the whole text at four bytes a character."""
    return (match.group() for match in _LINE.finditer(text))


def _line_end(text: str) -> int:
    """Where the text's last whole line ends (0: none): after its last line
    ending, unless that is a closing CR, which may be the start of a CRLF."""
    return max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1


def whole_lines(blocks: Iterable[str]) -> Iterator[str]:
    """`lines_of` the text the blocks make when joined, whichever characters
    a block ends on: a line cut between blocks, or a CRLF cut after its CR,
    waits for the next block."""
    rest: list[str] = []
    for block in blocks:
        end = _line_end(block)
        if not end:
            rest.append(block)
            continue
        yield from lines_of("".join([*rest, block[:end]]))
        rest = [block[end:]]
    if rest:
        yield from lines_of("".join(rest))


def open_csv(
    text: str | Iterable[str],
    *,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    column_name: Callable[[str], str] = lambda cell: cell.strip().lower(),
):
    """The header's column names, and a reader at the first row after it: of
    a text, or of its lines (endings kept, as `lines_of` gives them).

    The first non-blank line names the columns, in any order; unknown, missing
    and repeated columns are refused together, with the expected header."""
    lines = iter(lines_of(text) if isinstance(text, str) else text)
    first = next(lines, "")
    reader = csv.reader(itertools.chain([first.lstrip("\ufeff")], lines))
    header = None
    for cells in reader:
        if any(cell.strip() for cell in cells):
            header = [column_name(cell) for cell in cells]
            break
    if header is None:
        raise ValidationFailed({"file": ["The file is empty."]})
    unknown = [name for name in header if name not in columns]
    missing = [name for name in required if name not in header]
    twice = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if unknown:
        problems.append(f"Unknown column(s): {', '.join(unknown)}.")
    if missing:
        problems.append(f"Missing column(s): {', '.join(missing)}.")
    if twice:
        problems.append(f"Column(s) given twice: {', '.join(twice)}.")
    if problems:
        problems.append(f"The first line must name the columns: {','.join(columns)}")
        raise ValidationFailed({"file": problems})
    return header, reader


def upload_file_argument(path: str) -> Upload:
    """A CSV named on the command line (- for standard input), as an Upload."""
    if path == "-":
        return Upload.from_stream(sys.stdin.buffer, name="stdin")
    try:
        with open(path, "rb") as file:
            return Upload.from_stream(file, name=Path(path).name)
    except OSError as e:
        raise CommandError(f"Cannot read {path}: {e.strerror}.") from None


def read_file_argument(path: str) -> tuple[str, str]:
    """A CSV named on the command line (- for standard input): its text and name."""
    with upload_file_argument(path) as upload:
        return upload.text(), upload.name


def spreadsheet_safe(value) -> str:
    """Defuse a value a spreadsheet would run as a formula (CSV injection)."""
    value = "" if value is None else str(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
