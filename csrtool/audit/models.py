from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from csrtool.scoping import PartnerScopedQuerySet, Tested


class AuditEventQuerySet(PartnerScopedQuerySet):
    def for_target(self, target_type: str, target_id: str):
        return self.filter(target_type=target_type, target_id=str(target_id))

    def newest_first(self):
        return self.order_by("-created_at", "-id")

    def history_of(self, target_type: str, target_id: str):
        """A subscriber's or a number's events, newest first: found through the
        index of targets and put in order, not by walking the partner's whole
        trail in date order until enough of them turn up."""
        found = self.for_target(target_type, target_id)
        return found.order_by(Tested(F("created_at")).desc(), Tested(F("id")).desc())


class AuditEvent(models.Model):
    """One change (or refused attempt) by anyone through any door. Append-only."""

    created_at = models.DateTimeField(default=timezone.now)
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_kind = models.CharField(max_length=20)
    actor_label = models.CharField(max_length=300)
    actor_role = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=20)
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=20, default="success")
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["partner", "-created_at", "-id"], name="audit_partner_time"
            ),
            # A target's events, whether its type is known (its history) or
            # only its id (the log's filter).
            models.Index(fields=["target_id", "target_type"], name="audit_target"),
            # One action's events newest first, and the actions a trail holds
            # (one seek each): a partner's, and every partner's for the operator.
            models.Index(
                fields=["partner", "action", "-created_at", "-id"],
                name="audit_partner_action",
            ),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    @property
    def changes(self):
        """(field, before, after) for every field that differs."""
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [
            (key, before.get(key), after.get(key))
            for key in keys
            if before.get(key) != after.get(key)
        ]
