"""Events: what changed, for the partner's systems (the feed and its webhooks).

An event is written in the transaction of its change (an outbox) without a
position. Positions are stamped later, in order, by one publisher at a time
(`csrtool.events.feed.publish`): a transaction that commits late gets a later
position than everything already published, so a reader following positions
never skips an event, however the writers' commits interleave.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from csrtool.partners.models import Partner
from csrtool.scoping import PartnerScopedQuerySet


def new_event_id() -> str:
    return f"evt_{secrets.token_urlsafe(16)}"


class EventQuerySet(PartnerScopedQuerySet):
    def published(self):
        return self.filter(position__isnull=False)

    def unpublished(self):
        return self.filter(position__isnull=True)


class Event(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=20)
    data = models.JSONField()
    # Feed order, stamped by the publisher; null until then.
    position = models.BigIntegerField(null=True, blank=True, unique=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["partner", "position"], name="event_partner_feed"),
            # The feed asked for some types: a partner's, and the operator's.
            models.Index(
                fields=["partner", "type", "position"], name="event_partner_type_feed"
            ),
            models.Index(fields=["type", "position"], name="event_type_feed"),
            models.Index(
                fields=["id"],
                condition=Q(position__isnull=True),
                name="event_unpublished",
            ),
            models.Index(fields=["created_at"], name="event_created"),
        ]

    def __str__(self):
        return f"{self.public_id} {self.type}"

    def as_json(self) -> dict:
        """The event as the feed and webhooks show it."""
        return {
            "id": self.public_id,
            "type": self.type,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "partner": self.partner.slug,
            "actor_kind": self.actor_kind,
            "data": self.data,
        }


class Publisher(models.Model):
    """One row: the last position handed out. Its row lock makes publishing serial."""

    last_position = models.BigIntegerField(default=0)

    def __str__(self):
        return f"published up to {self.last_position}"
