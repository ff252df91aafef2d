"""Rows of a bulk add, before the database: the CSV format, ranges, and each
row's own checks (the pool's field rules, repeats within the file)."""

import csv
import hashlib
import io
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import phonenumbers

from csrtool.csvfiles import collector_paused, open_csv
from csrtool.errors import ValidationFailed
from csrtool.numberpool.lines import clean_line, e164, parse_number

COLUMNS = ("number", "dnis", "type", "country_code", "area_code", "subscriber_id")
REQUIRED_COLUMNS = COLUMNS[:5]
MAX_ROWS = 200_000
MAX_RANGE = 10_000


class Outcome:
    WILL_ADD = "will_add"
    ALREADY_PRESENT = "already_present"
    ERROR = "error"

    LABELS = {
        WILL_ADD: "Will add",
        ALREADY_PRESENT: "Already present",
        ERROR: "Error",
    }


@dataclass
class ImportRow:
    """One line of the file: its values as given, then as cleaned, and its fate."""

    line: int
    number: str = ""
    dnis: str = ""
    type: str = ""
    country_code: str = ""
    area_code: str = ""
    subscriber_id: str = ""
    errors: list[str] = field(default_factory=list)
    outcome: str = ""

    @property
    def reason(self) -> str:
        return " ".join(self.errors)

    @property
    def outcome_label(self) -> str:
        return Outcome.LABELS.get(self.outcome, "")

    def values(self) -> dict:
        return {name: getattr(self, name) for name in COLUMNS}


def file_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_csv(text: str) -> list[ImportRow]:
    """Rows of a CSV with a header naming the columns, in any order."""
    rows = iter_csv(text)
    with collector_paused():
        return list(rows)


def iter_csv(text: str | Iterable[str]) -> Iterator[ImportRow]:
    """`parse_csv` a row at a time, of a text or of its lines (as `lines_of`
    gives them), so a file's rows need not all be held at once. The header is
    checked at once; a file over the row limit is refused when the reading
    gets past it."""
    header, reader = open_csv(text, columns=COLUMNS, required=REQUIRED_COLUMNS)
    return _rows(header, reader)


def _rows(header: list[str], reader) -> Iterator[ImportRow]:
    count = 0
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if count >= MAX_ROWS:
            raise ValidationFailed(
                {
                    "file": [
                        f"The file has more than {MAX_ROWS:,} numbers. "
                        "Split it into smaller files."
                    ]
                }
            )
        row = ImportRow(line=reader.line_num)
        if len(cells) != len(header):
            row.errors.append(f"Expected {len(header)} values, found {len(cells)}.")
        for name, value in zip(header, cells, strict=False):
            setattr(row, name, value.strip())
        count += 1
        yield row


def expand_range(first: str, last: str, *, region: str | None = None) -> list[str]:
    """Every number from first to last inclusive, as E.164 strings."""
    errors: dict[str, list[str]] = {}
    ends = []
    for name, label, value in (("first", "First", first), ("last", "Last", last)):
        number = parse_number(value, region)
        if number is None:
            shown = str(value or "").strip()[:40]
            errors[name] = [
                f"{label} number {shown!r} is not a valid phone number, "
                "e.g. +1 800 555 0100."
                if shown
                else f"{label} number is required."
            ]
        ends.append(number)
    if errors:
        raise ValidationFailed(errors)
    start, end = (e164(number) for number in ends)
    if ends[0].country_code != ends[1].country_code or len(start) != len(end):
        raise ValidationFailed(
            {"last": ["The first and last number must be in the same block."]}
        )
    low, high = int(start[1:]), int(end[1:])
    if high < low:
        raise ValidationFailed(
            {"last": ["The last number must not come before the first."]}
        )
    if high - low + 1 > MAX_RANGE:
        raise ValidationFailed(
            {
                "last": [
                    f"A range holds at most {MAX_RANGE:,} numbers; this one has "
                    f"{high - low + 1:,}. Add it in several ranges or as a file."
                ]
            }
        )
    width = len(start) - 1
    return [f"+{value:0{width}d}" for value in range(low, high + 1)]


def range_csv(numbers: list[str], *, number_type: str, area_code: str = "") -> str:
    """A range as the CSV a file import would take: each number's own digits as
    its DNIS, its country code, the type and area code given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for value in numbers:
        number = phonenumbers.parse(value, None)
        writer.writerow(
            [
                value,
                phonenumbers.national_significant_number(number),
                number_type,
                number.country_code,
                area_code,
                "",
            ]
        )
    return buffer.getvalue()


class FirstLines:
    """The line each number and DNIS of a file is first on, for the repeats
    check, kept across the file's chunks on disk: in a private SQLite database
    on a temporary file (not the product's database), whose small page cache
    is all it holds in memory, so a file of any length is checked in the same
    memory. Close it (or use it as a context manager) to drop the file.

    Keys are integers: a number's digits (an E.164 number is + and digits),
    and a DNIS's digits after a 1 (which keeps its leading zeros), negated so
    that no DNIS meets a number."""

    CACHE_KIB = 2048

    def __init__(self):
        self._db: sqlite3.Connection | None = None

    def mark_repeats(self, rows: list[ImportRow]) -> None:
        """Give each row without errors that repeats an earlier row's number or
        DNIS (in these rows, or in any marked before) an error naming that
        row's line; remember the lines of the others. Rows in file order."""
        checked = [
            (row, int(row.number[1:]), -int("1" + row.dnis))
            for row in rows
            if not row.errors
        ]
        if not checked:
            return
        db = self._db or self._open()
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO wanted VALUES (?)",
            ((key,) for _, number, dnis in checked for key in (number, dnis)),
        )
        seen = dict(
            db.execute(
                "SELECT wanted.key, line FROM wanted "
                "CROSS JOIN first_line ON first_line.key = wanted.key"
            )
        )
        db.execute("DELETE FROM wanted")
        new: dict[int, int] = {}
        for row, number, dnis in checked:
            for key, label in ((number, "number"), (dnis, "DNIS")):
                line = seen.get(key) or new.get(key)
                if line:
                    row.errors.append(f"The same {label} is also on line {line}.")
                    break
            else:
                new[number] = new[dnis] = row.line
        db.executemany("INSERT INTO first_line VALUES (?, ?)", new.items())
        db.execute("COMMIT")

    def _open(self) -> sqlite3.Connection:
        # An empty name: a temporary file, deleted when the connection closes.
        db = sqlite3.connect("", isolation_level=None)
        db.execute(f"PRAGMA cache_size = -{self.CACHE_KIB}")
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE first_line (key INTEGER PRIMARY KEY, line INTEGER)")
        db.execute("CREATE TABLE wanted (key INTEGER)")
        self._db = db
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def check_fields(
    rows: list[ImportRow], *, region: str | None, first_lines: FirstLines | None = None
) -> None:
    """Each row's fields on their own (the pool's own rules), then numbers and
    DNIS repeated within the file: within these rows, or within every chunk
    checked with the same `first_lines`. No query of the product's database."""
    for row in rows:
        if row.errors:
            continue
        try:
            cleaned = clean_line(
                number=row.number,
                dnis=row.dnis,
                number_type=row.type,
                country_code=row.country_code,
                area_code=row.area_code,
                region=region,
            )
        except ValidationFailed as e:
            row.errors.extend(m for messages in e.errors.values() for m in messages)
            continue
        row.number = cleaned["number"]
        row.dnis = cleaned["dnis"]
        row.type = cleaned["number_type"]
        row.country_code = cleaned["country_code"]
        row.area_code = cleaned["area_code"]
        row.subscriber_id = row.subscriber_id.lower()
    if first_lines is not None:
        first_lines.mark_repeats(rows)
    else:
        with FirstLines() as first_lines:
            first_lines.mark_repeats(rows)
    for row in rows:
        if row.errors:
            row.outcome = Outcome.ERROR
