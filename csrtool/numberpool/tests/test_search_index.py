"""Partial number search through the trigram index answers exactly like a scan."""

import random

import pytest
from django.db import connection

from csrtool.numberpool.models import NumberType, PhoneNumber


def generate_numbers(partner, count, *, seed=4):
    rng = random.Random(seed)
    seen = set()
    rows = []
    while len(rows) < count:
        area = rng.choice(["212", "415", "800", "646", "312"])
        line = f"{area}{rng.randrange(2, 10)}{rng.randrange(0, 1_000_000):06d}"
        if line in seen:
            continue
        seen.add(line)
        rows.append(
            PhoneNumber(
                partner=partner,
                number=f"+1{line}",
                dnis=line,
                number_type=NumberType.TOLLFREE if area == "800" else NumberType.LOCAL,
                country_code="1",
                area_code=area,
            )
        )
    PhoneNumber.objects.bulk_create(rows, batch_size=500)
    return rows


def scan(term):
    return set(
        PhoneNumber.objects.filter(dnis__contains=term).values_list("pk", flat=True)
    )


def test_the_trigram_search_finds_exactly_what_a_plain_scan_finds(cast):
    generate_numbers(cast.acme, 3000)
    rng = random.Random(9)
    terms = ["555", "800", "1234", "00", "9"] + [
        str(rng.randrange(100, 10_000_000)) for _ in range(30)
    ]
    for term in terms:
        found = set(
            PhoneNumber.objects.search_digits(term).values_list("pk", flat=True)
        )
        if len(term) >= 3:
            assert found == scan(term), term
        else:
            assert found == set(
                PhoneNumber.objects.filter(dnis__startswith=term).values_list(
                    "pk", flat=True
                )
            ), term
    assert any(len(scan(t)) > 10 for t in terms)


def test_the_index_follows_changes_and_removals_of_numbers(cast):
    rows = generate_numbers(cast.acme, 50)
    first = PhoneNumber.objects.get(dnis=rows[0].dnis)
    first.dnis = "9990001112"
    first.save(update_fields=["dnis"])
    PhoneNumber.objects.filter(dnis=rows[1].dnis).delete()

    assert list(PhoneNumber.objects.search_digits("99900011")) == [first]
    assert not PhoneNumber.objects.search_digits(rows[1].dnis).exists()
    assert not PhoneNumber.objects.search_digits(rows[0].dnis).exists()


def test_the_search_uses_the_trigram_index_not_a_scan(cast):
    generate_numbers(cast.acme, 200)
    queryset = PhoneNumber.objects.search_digits("5551")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "numberpool_phonenumber_dnis_trgm" in plan


@pytest.mark.parametrize("term", ["", "abc", "--"])
def test_a_search_without_digits_finds_nothing(cast, term):
    generate_numbers(cast.acme, 5)
    assert not PhoneNumber.objects.search_digits(term).exists()


def test_part_of_a_number_with_its_country_code_finds_it(cast):
    from csrtool.numberpool.tests.make import make_number

    line = make_number(cast.acme, "8005551234")
    found = list(PhoneNumber.objects.for_partner(cast.acme).search_digits("+1 800 555"))
    assert line in found
    assert line in PhoneNumber.objects.for_partner(cast.acme).search_digits("800-555")


def test_imported_numbers_are_found_and_so_are_numbers_added_after(cast, actor_of):
    from csrtool.numberpool.imports import import_numbers
    from csrtool.numberpool.tests.make import make_number

    alice = actor_of(cast.alice)
    lines = [f"+1800555{n:04d},800555{n:04d},tollfree,1,800," for n in range(40)]
    import_numbers(
        actor=alice,
        text="number,dnis,type,country_code,area_code,subscriber_id\n"
        + "\n".join(lines),
    )
    later = make_number(cast.acme, "8005559999")

    assert PhoneNumber.objects.search_digits("555001").count() == 10
    assert set(PhoneNumber.objects.search_digits("55500")) == set(
        PhoneNumber.objects.filter(dnis__contains="55500")
    )
    assert list(PhoneNumber.objects.search_digits("5559999")) == [later]
    assert scan("555") == set(
        PhoneNumber.objects.search_digits("555").values_list("pk", flat=True)
    )


def test_a_chunk_that_fails_leaves_the_index_and_its_trigger_as_they_were(
    cast, actor_of, monkeypatch
):
    from csrtool.numberpool.imports import import_numbers, jobs
    from csrtool.numberpool.tests.make import make_number

    classify, calls, interfered = jobs.classify, [], []

    def classify_then_interfere(chunk, *, partner):
        # A number of the chunk appears after the chunk was checked: its insert
        # fails on the unique DNIS and the chunk's transaction rolls back.
        subscribers = classify(chunk, partner=partner)
        calls.append(chunk)
        if len(calls) == 2:  # the write's check, after the preview's
            interfered.append(make_number(cast.acme, "8005550003"))
        return subscribers

    monkeypatch.setattr(jobs, "classify", classify_then_interfere)
    lines = [f"+1800555{n:04d},800555{n:04d},tollfree,1,800," for n in range(6)]
    text = "number,dnis,type,country_code,area_code,subscriber_id\n" + "\n".join(lines)

    report = import_numbers(actor=actor_of(cast.alice), text=text)

    assert len(calls) == 3  # the chunk was checked again, then written
    assert report.job.added == 6
    later = make_number(cast.acme, "8005559999")
    assert list(PhoneNumber.objects.search_digits("5559999")) == [later]
    assert scan("800555") == set(
        PhoneNumber.objects.search_digits("800555").values_list("pk", flat=True)
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'numberpool_phonenumber_fts_insert'"
            )
            assert cursor.fetchone() == (1,)
