"""Tiny builders for number pool tests, on top of the shared cast."""

from django.utils import timezone

from csrtool.numberpool.models import NumberAssignment, NumberStatus, PhoneNumber


def make_number(partner, dnis="8005551234", *, number_type="tollfree", **fields):
    """A pool line whose number is +1 followed by a ten-digit DNIS."""
    values = {
        "number": f"+1{dnis}",
        "country_code": "1",
        "area_code": dnis[:3],
        "status": NumberStatus.AVAILABLE,
    }
    values.update(fields)
    line = PhoneNumber.objects.create(
        partner=partner, dnis=dnis, number_type=number_type, **values
    )
    if line.status == NumberStatus.ASSIGNED:
        NumberAssignment.objects.create(
            number=line, subscriber=line.subscriber, assigned_at=timezone.now()
        )
    return line


def events(action=None, dnis=None):
    from csrtool.audit.models import AuditEvent

    queryset = AuditEvent.objects.filter(target_type="phonenumber").order_by("id")
    if action:
        queryset = queryset.filter(action=action)
    if dnis:
        queryset = queryset.filter(target_id=dnis)
    return list(queryset)
