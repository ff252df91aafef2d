import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from csrtool.conftest import assert_accessible, browser_login, run_jobs
from csrtool.numberpool.imports import preview_import
from csrtool.numberpool.models import NumberImport, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.partners.access import staff_actor

HEADER = "number,dnis,type,country_code,area_code,subscriber_id\n"


def block(first, count):
    return "".join(
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,\n"
        for n in range(first, first + count)
    )


def upload(text, name="pool.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_partner_admin_previews_an_upload_then_imports_it(cast, client_for):
    client = client_for(cast.alice)
    make_number(cast.acme, "8005550101")

    response = client.post(
        reverse("number-import"),
        {"source": "file", "file": upload(HEADER + block(100, 3) + "x,1,local,1,,\n")},
    )

    job = NumberImport.objects.get()
    assert response.url == reverse("number-import-detail", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "Preview: nothing has been written yet" in page
    assert "2 will be added" in page
    assert "Already present" in page
    assert "is not a valid phone number" in page
    assert PhoneNumber.objects.count() == 1

    response = client.post(reverse("number-import-run", args=[job.pk]), follow=True)

    page = response.content.decode()
    assert "Import started." in page
    assert "Waiting for a background worker to start." in page
    assert PhoneNumber.objects.count() == 1

    run_jobs()

    page = client.get(reverse("number-import-detail", args=[job.pk])).text
    assert "2 added, 1 already present, 1 with errors, of 4 rows." in page
    assert set(PhoneNumber.objects.values_list("dnis", flat=True)) == {
        "8005550100",
        "8005550101",
        "8005550102",
    }


def test_pasted_lines_are_previewed_like_a_file(cast, client_for):
    response = client_for(cast.alice).post(
        reverse("number-import"),
        {"source": "file", "text": HEADER + block(100, 2)},
        follow=True,
    )

    assert "2 will be added" in response.content.decode()
    assert NumberImport.objects.get().file_name == "Pasted lines"


def test_a_range_is_previewed_with_its_numbers(cast, client_for):
    response = client_for(cast.alice).post(
        reverse("number-import"),
        {
            "source": "range",
            "first": "+1 800 555 0100",
            "last": "+1 800 555 0149",
            "number_type": "tollfree",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "50 will be added" in page
    assert "+18005550149" in page


def test_a_range_error_is_shown_next_to_its_field(cast, client_for):
    response = client_for(cast.alice).post(
        reverse("number-import"),
        {
            "source": "range",
            "first": "+1 800 555 0199",
            "last": "+1 800 555 0100",
            "number_type": "tollfree",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="range_last_error"' in page
    assert "The last number must not come before the first." in page
    assert NumberImport.objects.count() == 0


def test_a_file_without_its_header_is_refused_with_the_expected_columns(
    cast, client_for
):
    response = client_for(cast.alice).post(
        reverse("number-import"), {"source": "file", "file": upload(block(100, 1))}
    )

    page = response.content.decode()
    assert 'id="file_file_error"' in page
    assert "number,dnis,type,country_code,area_code,subscriber_id" in page
    assert NumberImport.objects.count() == 0


def test_an_upload_is_read_as_it_arrives_and_refused_if_not_utf8(
    cast, client_for, settings
):
    """A file larger than Django keeps in memory arrives as a temporary file;
    the page reads it a block at a time into the import's stored pieces."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = client_for(cast.alice)
    text = HEADER + block(1000, 200)

    client.post(reverse("number-import"), {"source": "file", "file": upload(text)})
    latin = SimpleUploadedFile("pool.csv", "número\n".encode("latin-1"))
    refused = client.post(reverse("number-import"), {"source": "file", "file": latin})

    job = NumberImport.objects.get()
    assert (job.file_name, job.total_rows, job.planned_add) == ("pool.csv", 200, 200)
    assert "".join(job.lines()) == text
    page = refused.content.decode()
    assert 'id="file_file_error"' in page
    assert "The file is not UTF-8 text. Save it as CSV (UTF-8) and retry." in page


def test_an_empty_submission_asks_for_a_file(cast, client_for):
    response = client_for(cast.alice).post(reverse("number-import"), {"source": "file"})

    assert "Choose a CSV file or paste its lines." in response.content.decode()


def test_a_long_preview_is_paged_and_can_show_only_errors(
    cast, client_for, django_assert_max_num_queries
):
    text = HEADER + block(0, 250) + "+18005559999,1,tollfree,1,800,\n"
    job = preview_import(actor=staff_actor(cast.alice), text=text)
    client = client_for(cast.alice)
    url = reverse("number-import-detail", args=[job.pk])

    with django_assert_max_num_queries(12):
        first = client.get(url).content.decode()
    last = client.get(url, {"page": 3}).content.decode()
    errors = client.get(url, {"show": "errors"}).content.decode()

    assert "Page 1 of 3" in first
    assert "+18005550099" in first and "+18005550100" not in first
    assert "+18005559999" in last
    assert "+18005559999" in errors and "+18005550000" not in errors


def test_an_interrupted_import_offers_to_continue(cast, client_for):
    job = preview_import(actor=staff_actor(cast.alice), text=HEADER + block(0, 4))
    NumberImport.objects.filter(pk=job.pk).update(status="running", rows_done=2)

    page = client_for(cast.alice).get(reverse("number-import-detail", args=[job.pk]))

    assert "Continue import" in page.content.decode()


def test_a_csr_does_not_see_bulk_add(cast, client_for):
    assert client_for(cast.bob).get(reverse("number-import")).status_code == 404


def test_another_partners_import_is_not_found(cast, client_for):
    job = preview_import(actor=staff_actor(cast.alice), text=HEADER + block(0, 2))
    gina = client_for(cast.gina)

    assert gina.get(reverse("number-import-detail", args=[job.pk])).status_code == 404
    assert gina.post(reverse("number-import-run", args=[job.pk])).status_code == 404
    assert PhoneNumber.objects.count() == 0
    assert str(job) not in gina.get(reverse("number-import")).content.decode()


def test_the_export_downloads_the_partners_pool(cast, client_for):
    make_number(cast.acme, "8005550101")
    make_number(cast.globex, "8005550102")

    response = client_for(cast.avery).get(reverse("number-export"))

    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="numbers-acme-' in response["Content-Disposition"]
    assert body == HEADER + "+18005550101,8005550101,tollfree,1,800,\n"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bulk_add_in_the_browser(cast, page, tmp_path):
    source = tmp_path / "pool.csv"
    source.write_text(HEADER + block(100, 3))
    browser_login(page, cast.alice)

    page.goto(reverse("number-import"))
    assert_accessible(page)
    page.get_by_label("CSV file", exact=True).set_input_files(str(source))
    page.get_by_role("button", name="Preview file").click()
    page.get_by_text("3 will be added").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Import 3 numbers").click()
    page.get_by_text("Import started.").wait_for()
    assert_accessible(page)
    run_jobs()
    # The page's script notices the end of the import and shows the result.
    page.get_by_text("3 added, 0 already present, 0 with errors").wait_for()
    assert_accessible(page)

    assert PhoneNumber.objects.filter(partner=cast.acme).count() == 3


def test_an_imported_numbers_page_shows_the_import(cast, client_for):
    from csrtool.numberpool.imports import run_import

    job = preview_import(
        actor=staff_actor(cast.alice), text=HEADER + block(100, 1), file_name="q3.csv"
    )
    run_import(actor=staff_actor(cast.alice), import_id=job.pk)

    admin_page = client_for(cast.alice).get(
        reverse("number-detail", args=["8005550100"])
    )
    csr_page = client_for(cast.bob).get(reverse("number-detail", args=["8005550100"]))

    detail_url = reverse("number-import-detail", args=[job.pk])
    assert "by alice@acme.example, from" in admin_page.content.decode()
    assert f'<a href="{detail_url}">q3.csv</a>' in admin_page.content.decode()
    assert "q3.csv" in csr_page.content.decode()
    assert detail_url not in csr_page.content.decode()
