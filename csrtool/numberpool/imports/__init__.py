"""Bulk add to a partner's number pool: CSV or a range, previewed, then written.

A file (or range) is parsed into rows, each row's fields are checked on their own,
then every chunk is classified against the database with one query per chunk:
will add, already present, or an error with its reason. Nothing is written until
the import runs; it then writes chunk by chunk, so an interrupted import continues
where it stopped and the same file imported twice adds nothing new.
"""

from csrtool.csvfiles import decode_upload
from csrtool.numberpool.imports.jobs import (
    ImportReport,
    classify,
    get_import,
    import_in_progress,
    import_numbers,
    import_rows,
    prepare,
    preview_import,
    preview_range,
    run_import,
    start_import,
)
from csrtool.numberpool.imports.rows import (
    COLUMNS,
    MAX_RANGE,
    MAX_ROWS,
    ImportRow,
    Outcome,
    check_fields,
    expand_range,
    file_hash,
    parse_csv,
    range_csv,
)

__all__ = [
    "COLUMNS",
    "MAX_RANGE",
    "MAX_ROWS",
    "ImportReport",
    "ImportRow",
    "Outcome",
    "check_fields",
    "classify",
    "decode_upload",
    "expand_range",
    "file_hash",
    "get_import",
    "import_in_progress",
    "import_numbers",
    "import_rows",
    "parse_csv",
    "prepare",
    "preview_import",
    "preview_range",
    "range_csv",
    "run_import",
    "start_import",
]
