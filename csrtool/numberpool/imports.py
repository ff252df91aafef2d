"""Bulk add to a partner's number pool: CSV or a range, previewed, then written.

A file (or range) is parsed into rows, each row's fields are checked on their own,
then every chunk is classified against the database with one query per chunk:
will add, already present, or an error with its reason. Nothing is written until
the import runs; it then writes chunk by chunk, so an interrupted import continues
where it stopped and the same file imported twice adds nothing new.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field

import phonenumbers

from csrtool.errors import ValidationFailed

COLUMNS = ("number", "dnis", "type", "country_code", "area_code", "subscriber_id")
REQUIRED_COLUMNS = COLUMNS[:5]
MAX_ROWS = 200_000
MAX_RANGE = 10_000
CHUNK_SIZE = 1000


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


def decode_upload(data: bytes) -> str:
    """Uploaded bytes as text: UTF-8 (with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": ["The file is not UTF-8 text. Save it as CSV (UTF-8) and retry."]}
        ) from None


def parse_csv(text: str) -> list[ImportRow]:
    """Rows of a CSV with a header naming the columns, in any order."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    for cells in reader:
        if any(cell.strip() for cell in cells):
            header = [cell.strip().lower() for cell in cells]
            break
    if header is None:
        raise ValidationFailed({"file": ["The file is empty."]})
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if unknown:
        problems.append(f"Unknown column(s): {', '.join(unknown)}.")
    if missing:
        problems.append(f"Missing column(s): {', '.join(missing)}.")
    if duplicated:
        problems.append(f"Column(s) given twice: {', '.join(duplicated)}.")
    if problems:
        problems.append(f"The first line must name the columns: {','.join(COLUMNS)}")
        raise ValidationFailed({"file": problems})
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
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
        rows.append(row)
    return rows


def parse_e164(value: str, *, label: str = "Number"):
    """A pool number in E.164, or a DomainError-style message."""
    raw = str(value or "").strip()
    if not raw:
        return None, f"{label} is required."
    if not raw.startswith("+"):
        raw = "+" + raw.lstrip("0")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None, f"{label} {value!r} is not a phone number: start it with +."
    if not phonenumbers.is_possible_number(number):
        return None, f"{label} {value!r} has the wrong length for its country."
    return number, ""


def expand_range(first: str, last: str) -> list[str]:
    """Every number from first to last inclusive, as E.164 strings."""
    errors: dict[str, list[str]] = {}
    start, message = parse_e164(first, label="First number")
    if message:
        errors["first"] = [message]
    end, message = parse_e164(last, label="Last number")
    if message:
        errors["last"] = [message]
    if errors:
        raise ValidationFailed(errors)
    start_digits = phonenumbers.format_number(
        start, phonenumbers.PhoneNumberFormat.E164
    )
    end_digits = phonenumbers.format_number(end, phonenumbers.PhoneNumberFormat.E164)
    if start.country_code != end.country_code or len(start_digits) != len(end_digits):
        raise ValidationFailed(
            {"last": ["The first and last number must be in the same block."]}
        )
    low, high = int(start_digits[1:]), int(end_digits[1:])
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
    width = len(start_digits) - 1
    return [f"+{value:0{width}d}" for value in range(low, high + 1)]
