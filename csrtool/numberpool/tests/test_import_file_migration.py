"""Imports stored before files were kept in pieces keep their file, line for line."""

import pytest

from csrtool.conftest import migrate_to

BEFORE = [("numberpool", "0008_dnis_ending_index")]
AFTER = [("numberpool", "0009_import_file_pieces")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_a_stored_file_becomes_pieces_of_whole_lines_and_back(cast):
    line = "+18005550100,8005550100,tollfree,1,800,\r\n"
    text = "number,dnis,type,country_code,area_code,subscriber_id\n" + line * 60_000
    apps = migrate_to(BEFORE)
    NumberImport = apps.get_model("numberpool", "NumberImport")
    NumberImportFile = apps.get_model("numberpool", "NumberImportFile")
    job = NumberImport.objects.create(partner_id=cast.acme.pk, file_hash="x")
    NumberImportFile.objects.create(number_import=job, content=text)

    apps = migrate_to(AFTER)

    pieces = (
        apps.get_model("numberpool", "NumberImportPiece")
        .objects.filter(number_import_id=job.pk)
        .order_by("position")
        .values_list("content", flat=True)
    )
    assert len(pieces) == 3  # 2.4 million characters, a million or so a piece
    assert "".join(pieces) == text
    assert all(piece.endswith("\r\n") for piece in pieces)

    apps = migrate_to(BEFORE)

    restored = apps.get_model("numberpool", "NumberImportFile").objects.get()
    assert (restored.number_import_id, restored.content) == (job.pk, text)
