"""Webhook endpoints of a partner, and the deliveries of events to them."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from csrtool.events.models import Event
from csrtool.partners.models import Partner
from csrtool.scoping import PartnerScopedQuerySet


def new_endpoint_id() -> str:
    return f"ep_{secrets.token_urlsafe(12)}"


class EndpointQuerySet(PartnerScopedQuerySet):
    def enabled(self):
        return self.filter(is_enabled=True)


class WebhookEndpoint(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_endpoint_id)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The event types it receives; empty: every type.
    event_types = models.JSONField(default=list, blank=True)
    # Standard Webhooks secrets ("whsec_" + base64). Kept readable: the worker
    # signs with them. After a rotation the previous one signs too, until then.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Since when every attempt has failed (none succeeded since); null when healthy.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["partner", "created_at"], name="endpoint_partner")
        ]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        found = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_until
            and (self.previous_secret_until > now)
        ):
            found.append(self.previous_secret)
        return found


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class DeliveryQuerySet(models.QuerySet):
    def for_actor(self, actor):
        if actor.is_operator:
            return self
        return self.filter(endpoint__partner=actor.partner)

    def due(self, now):
        """Waiting for their time, or claimed by a worker whose lease ran out
        (a claim moves `next_attempt_at` to the end of the lease)."""
        return self.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
            next_attempt_at__lte=now,
            endpoint__is_enabled=True,
        )


class WebhookDelivery(models.Model):
    """One event to one endpoint: tried until the receiver answers 2xx."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_due",
            ),
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="delivery_endpoint"
            ),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivery", "id"], name="attempt_delivery")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
