from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from csrtool.partners.models import Partner, Role
from csrtool.scoping import PartnerScopedQuerySet


class ApiKeyQuerySet(PartnerScopedQuerySet):
    def usable(self):
        """Not revoked; expiry and idleness are read per key (`ApiKey.state`)."""
        return self.filter(revoked_at__isnull=True)

    def made_by(self, user):
        return self.filter(created_by=user)


class ApiKey(models.Model):
    """A partner's key for its own systems. Shown once; only a SHA-256 hash is kept.

    The secret has 256 random bits, so a fast hash is enough: nothing can be guessed.
    """

    # None for an operator key (reads the event feed across partners).
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(
        max_length=20,
        choices=[(r.value, r.label) for r in Role],
        default=Role.CSR,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.OPERATOR, partner__isnull=True)
                | (~Q(role=Role.OPERATOR) & Q(partner__isnull=False)),
                name="api_key_partner_or_operator",
                violation_error_message=(
                    "An API key belongs to a partner, or is the operator's."
                ),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    def idle_since(self):
        return self.last_used_at or self.created_at

    def state(self, now=None) -> str:
        """active, revoked, expired, or idle (unused longer than the partner allows)."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        idle_days = self.partner.api_key_idle_days if self.partner else 0
        if idle_days and self.idle_since() <= now - timedelta(days=idle_days):
            return "idle"
        return "active"


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed on retries."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"],
                name="idempotency_key_unique",
                violation_error_message="This Idempotency-Key was already used.",
            )
        ]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"


class RateCount(models.Model):
    """Requests counted in one window of one rate limit (SECURITY.md), when no
    Redis is configured. `bucket` is an HMAC of the limit, the key or address and
    the window's start; rows are deleted once their window is over."""

    bucket = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.bucket[:8]} {self.count}"
