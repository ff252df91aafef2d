"""Bulk add to a partner's number pool: CSV or a range, previewed, then written.

A file (or range) is read a chunk of rows at a time: each row's fields are
checked on their own, then the chunk is classified against the database with one
query: will add, already present, or an error with its reason. Nothing is written until
the import runs; it then writes chunk by chunk, so an interrupted import continues
where it stopped and the same file imported twice adds nothing new.
"""

from csrtool.csvfiles import decode_upload
from csrtool.numberpool.imports.jobs import (
    ImportReport,
    RecordedRows,
    checked_chunks,
    classify,
    get_import,
    import_in_progress,
    import_numbers,
    import_rows,
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
    iter_csv,
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
    "RecordedRows",
    "check_fields",
    "checked_chunks",
    "classify",
    "decode_upload",
    "expand_range",
    "file_hash",
    "get_import",
    "import_in_progress",
    "import_numbers",
    "import_rows",
    "iter_csv",
    "parse_csv",
    "preview_import",
    "preview_range",
    "range_csv",
    "run_import",
    "start_import",
]
