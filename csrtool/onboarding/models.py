"""Subscriber credentials, the links emailed to subscribers, and the email outbox."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from csrtool.partners.models import Partner
from csrtool.scoping import PartnerScopedQuerySet
from csrtool.subscribers.models import Subscriber


class SubscriberCredentialsQuerySet(PartnerScopedQuerySet):
    partner_field = "subscriber__partner"


class SubscriberCredentials(models.Model):
    """A subscriber's password, PIN and security answer: Argon2 hashes only."""

    subscriber = models.OneToOneField(
        Subscriber,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="credentials",
    )
    password_hash = models.CharField(max_length=255)
    pin_hash = models.CharField(max_length=255)
    security_question = models.CharField(max_length=200)
    security_answer_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(default=timezone.now)
    pin_changed_at = models.DateTimeField(default=timezone.now)
    security_answer_changed_at = models.DateTimeField(default=timezone.now)

    objects = SubscriberCredentialsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "subscriber credentials"

    def __str__(self):
        return f"Credentials of {self.subscriber_id}"


class LinkPurpose(models.TextChoices):
    WELCOME = "welcome", "Welcome (onboarding)"
    PASSWORD_RESET = "password_reset", "Password reset"
    EMAIL_CHANGE = "email_change", "Email change"


class EmailLinkQuerySet(PartnerScopedQuerySet):
    partner_field = "subscriber__partner"

    def usable(self, *, now=None):
        now = now or timezone.now()
        return self.filter(
            consumed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )


class EmailLink(models.Model):
    """A single-use link emailed to a subscriber; only the token's SHA-256 is kept."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="email_links"
    )
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = EmailLinkQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["subscriber", "purpose", "-created_at"],
                name="email_link_subscriber",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="email_link_expires_after_creation",
                violation_error_message="A link must expire after it is created.",
            )
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} link for {self.subscriber_id}"

    def state(self, *, now=None) -> str:
        now = now or timezone.now()
        if self.consumed_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "valid"


class EmailKind(models.TextChoices):
    WELCOME = "welcome", "Welcome"
    PASSWORD_RESET = "password_reset", "Password reset"
    EMAIL_CHANGE = "email_change", "Email change"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    EMAIL_CHANGED = "email_changed", "Login email changed"
    PIN_CHANGED = "pin_changed", "PIN changed"
    QUESTION_CHANGED = "question_changed", "Security question changed"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmailQuerySet(PartnerScopedQuerySet):
    def newest_first(self):
        return self.order_by("-created_at", "-id")


class OutboundEmail(models.Model):
    """One email to a subscriber, enqueued in the transaction that caused it.

    The delivery job reads it, renders it and hands it to SMTP; its status is what
    the CSR sees. `link_seed` lets the job rebuild the link's token (with the
    secret key) and is erased once the email is sent or has failed for good.
    """

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="outbound_emails"
    )
    # None only for a test of the partner's template (`sample`).
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_emails",
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    # A test a partner admin sent themselves: sample values and the wording they
    # were trying, both in `context`.
    sample = models.BooleanField(default=False)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    message_id = models.CharField(max_length=255, unique=True)
    link = models.ForeignKey(
        EmailLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    link_seed = models.CharField(max_length=64, blank=True)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=300, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["subscriber", "-created_at"], name="outbound_email_subscriber"
            ),
            models.Index(fields=["status", "claimed_until"], name="outbound_claims"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="outbound_email_sent_at_matches_status",
                violation_error_message="An email has a sent time exactly when sent.",
            ),
            models.CheckConstraint(
                condition=Q(sample=True, subscriber__isnull=True)
                | Q(sample=False, subscriber__isnull=False),
                name="outbound_email_subscriber_unless_sample",
                violation_error_message="An email goes to a subscriber, unless it "
                "is a test with sample values.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} email to {self.recipient}"


class EmailTemplateQuerySet(PartnerScopedQuerySet):
    def of(self, kind: str, language: str):
        return self.filter(kind=kind, language=language)


class EmailTemplate(models.Model):
    """A partner's own wording of one kind of subscriber email, in one language
    (see csrtool/onboarding/email_templates). Without one, the built-in email
    goes out."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="email_templates"
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=200)
    text = models.TextField()
    html = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=300, blank=True)

    objects = EmailTemplateQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind", "language"],
                name="email_template_one_per_kind_and_language",
                violation_error_message="The partner has a template for this email "
                "in this language already.",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} email of {self.partner_id} ({self.language})"
