from django.db import models
from django.utils import timezone

from csrtool.onboarding.models import EmailLink
from csrtool.subscribers.models import Subscriber


class Throttle(models.Model):
    """Failures (or requests) counted per scope and key, e.g. logins per account.

    The key is an HMAC of the address or IP, so the table never holds the raw
    strings people typed (including addresses of accounts that do not exist).
    """

    scope = models.CharField(max_length=40)
    key_digest = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key_digest"],
                name="portal_throttle_one_row_per_key",
                violation_error_message="This counter already exists.",
            )
        ]

    def __str__(self):
        return f"{self.scope}:{self.key_digest[:8]} {self.count}"


class EmailChange(models.Model):
    """The address a subscriber asked to log in with, waiting for its link.

    The link itself (token hash, expiry, single use) is an onboarding EmailLink
    with purpose "email_change"; this row only remembers where it leads.
    """

    link = models.OneToOneField(
        EmailLink, on_delete=models.CASCADE, related_name="email_change"
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="email_changes"
    )
    new_email = models.CharField(max_length=254)
    new_email_canonical = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.subscriber_id} → {self.new_email}"
