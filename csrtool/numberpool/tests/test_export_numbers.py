import pytest
from django.utils import timezone

from csrtool.audit.models import AuditEvent
from csrtool.errors import NotFound, PermissionDenied
from csrtool.numberpool.exports import export_numbers
from csrtool.numberpool.imports import preview_import, run_import
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number


def exported(actor, **kwargs):
    return "".join(export_numbers(actor=actor, **kwargs))


def test_the_export_lists_the_pool_in_the_import_format(cast, actor_of):
    make_number(cast.acme, "8005550101")
    make_number(
        cast.acme,
        "2125550100",
        number_type="local",
        status=NumberStatus.ASSIGNED,
        subscriber=cast.sam,
    )
    make_number(cast.acme, "8005550102", status=NumberStatus.RETIRED)
    make_number(cast.globex, "8005550103")

    text = exported(actor_of(cast.avery))

    assert text == (
        "number,dnis,type,country_code,area_code,subscriber_id\n"
        f"+12125550100,2125550100,local,1,212,{cast.sam.public_id}\n"
        "+18005550101,8005550101,tollfree,1,800,\n"
    )


def test_a_held_or_aging_number_is_exported_without_its_subscriber(cast, actor_of):
    later = timezone.now() + timezone.timedelta(days=1)
    make_number(
        cast.acme,
        "8005550101",
        status=NumberStatus.HELD,
        subscriber=cast.sam,
        held_until=later,
    )
    make_number(
        cast.acme,
        "8005550102",
        status=NumberStatus.AGING,
        aging_until=later,
        previous_subscriber=cast.sam,
    )

    lines = exported(actor_of(cast.alice)).splitlines()

    assert lines[1:] == [
        "+18005550101,8005550101,tollfree,1,800,",
        "+18005550102,8005550102,tollfree,1,800,",
    ]


def test_an_export_imports_back_into_an_empty_pool_unchanged(cast, actor_of):
    alice = actor_of(cast.alice)
    for n in range(20):
        make_number(cast.acme, f"80055501{n:02d}")
    make_number(
        cast.acme,
        "2125550100",
        number_type="local",
        status=NumberStatus.ASSIGNED,
        subscriber=cast.sam,
    )
    make_number(
        cast.acme,
        "442079460000",
        number="+442079460000",
        country_code="44",
        number_type="intl_local",
        area_code="20",
    )
    before = exported(alice)
    PhoneNumber.objects.for_partner(cast.acme).delete()
    assert exported(alice).count("\n") == 1

    job = preview_import(actor=alice, text=before, file_name="export.csv")
    run_import(actor=alice, import_id=job.pk)

    assert job.planned_errors == 0
    assert exported(alice) == before
    assert PhoneNumber.objects.get(dnis="2125550100").subscriber == cast.sam


def test_importing_an_export_into_the_same_pool_finds_everything_present(
    cast, actor_of
):
    alice = actor_of(cast.alice)
    make_number(cast.acme, "8005550101")
    make_number(
        cast.acme, "8005550102", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    job = preview_import(actor=alice, text=exported(alice))

    assert (job.planned_add, job.planned_present, job.planned_errors) == (0, 2, 0)


def test_the_export_is_audited(cast, actor_of):
    exported(actor_of(cast.alice))

    event = AuditEvent.objects.get(action="numbers.exported")
    assert (event.partner, event.actor_label) == (cast.acme, "alice@acme.example")


def test_the_operator_exports_the_partner_it_names(cast, cli):
    make_number(cast.globex, "8005550103")

    with pytest.raises(NotFound):
        exported(cli)

    assert "8005550103" in exported(cli, partner=cast.globex)


def test_a_partner_never_exports_another_partners_pool(cast, actor_of):
    make_number(cast.acme, "8005550101")

    with pytest.raises(NotFound):
        exported(actor_of(cast.charlie), partner=cast.acme)

    assert "8005550101" not in exported(actor_of(cast.charlie))


def test_the_export_needs_a_right_to_see_the_pool(cast):
    from dataclasses import replace

    from csrtool.partners.access import staff_actor

    nobody = replace(staff_actor(cast.bob), role="")
    with pytest.raises(PermissionDenied):
        exported(nobody)
