"""CSV files in and out, as every bulk door reads and writes them: the upload's
encoding, a header naming the columns, a file named on the command line, and
cells a spreadsheet must not run as formulas."""

import contextlib
import csv
import gc
import re
import sys
from collections.abc import Callable, Iterator
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


def decode_upload(data: bytes) -> str:
    """Uploaded bytes as text: UTF-8 (with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": ["The file is not UTF-8 text. Save it as CSV (UTF-8) and retry."]}
        ) from None


# A line and its ending (\n, \r\n or \r), or a last line without one.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def lines_of(text: str) -> Iterator[str]:
    """The lines of a text, endings kept, as `io.StringIO(text, newline="")`
    gives them, without its copy of the whole text at four bytes a character."""
    return (match.group() for match in _LINE.finditer(text))


def open_csv(
    text: str,
    *,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    column_name: Callable[[str], str] = lambda cell: cell.strip().lower(),
):
    """The header's column names, and a reader at the first row after it.

    The first non-blank line names the columns, in any order; unknown, missing
    and repeated columns are refused together, with the expected header."""
    reader = csv.reader(lines_of(text.lstrip("\ufeff")))
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


def read_file_argument(path: str) -> tuple[str, str]:
    """A CSV named on the command line (- for standard input): its text and name."""
    if path == "-":
        return decode_upload(sys.stdin.buffer.read()), "stdin"
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise CommandError(f"Cannot read {path}: {e.strerror}.") from None
    return decode_upload(data), Path(path).name


def spreadsheet_safe(value) -> str:
    """Defuse a value a spreadsheet would run as a formula (CSV injection)."""
    value = "" if value is None else str(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
