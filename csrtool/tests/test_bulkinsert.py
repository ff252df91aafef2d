"""A row written by `insert_one` is the row `save()` writes, told to the same
listeners; a row already written is refused."""

import pytest
from django.db.models.signals import post_save

from csrtool.audit.models import AuditEvent
from csrtool.bulkinsert import insert_one


def _event(partner, **values):
    return AuditEvent(
        partner=partner,
        actor_kind="staff",
        actor_label="alice@acme.example",
        channel="web",
        action="number.assigned",
        target_type="phonenumber",
        target_id="2125550100",
        before={"status": "available", "subscriber": None},
        after={"status": "assigned", "features": ["ivr", "queues"]},
        source_ip="192.0.2.10",
        **values,
    )


def _stored(pk) -> dict:
    row = AuditEvent.objects.get(pk=pk)
    return {
        field.attname: getattr(row, field.attname)
        for field in AuditEvent._meta.concrete_fields
        if not field.primary_key
    }


def test_one_row_is_written_as_save_writes_it(cast):
    heard = []

    def listen(sender, instance, created, **kwargs):
        heard.append((sender, instance.pk, created))

    saved = _event(cast.acme)
    saved.save()
    written = _event(cast.acme, created_at=saved.created_at)
    post_save.connect(listen, sender=AuditEvent)
    try:
        insert_one(written)
    finally:
        post_save.disconnect(listen, sender=AuditEvent)
    assert written.pk not in (None, saved.pk)
    assert not written._state.adding
    assert _stored(written.pk) == _stored(saved.pk)
    assert _stored(written.pk)["after"] == {
        "status": "assigned",
        "features": ["ivr", "queues"],
    }
    assert heard == [(AuditEvent, written.pk, True)]


def test_a_row_already_written_is_refused(cast):
    event = _event(cast.acme)
    insert_one(event)
    with pytest.raises(ValueError, match="not new"):
        insert_one(event)
    assert AuditEvent.objects.filter(action="number.assigned").count() == 1
