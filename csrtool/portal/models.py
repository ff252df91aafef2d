from django.db import models
from django.utils import timezone

from csrtool.onboarding.models import EmailLink
from csrtool.subscribers.models import Subscriber


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
