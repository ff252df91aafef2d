import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from csrtool import timezones
from csrtool.partners.models import Partner
from csrtool.scoping import PartnerScopedQuerySet
from csrtool.validation import format_phone


def new_public_id() -> str:
    """Opaque, random, non-sequential: the original tool's shape, 111 random bits.

    e.g. 7f3a9c01-42-58210937465-03928471-552
    """
    digits = f"{secrets.randbelow(10**24):024d}"
    return "-".join(
        [secrets.token_hex(4), digits[:2], digits[2:13], digits[13:21], digits[21:24]]
    )


class Status(models.TextChoices):
    PENDING_ACTIVATION = "pending_activation", "Pending activation"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


class SubscriberQuerySet(PartnerScopedQuerySet):
    def search(self, query: str, *, region: str | None = None):
        from csrtool.subscribers.search import search_filter

        return self.filter(search_filter(query, region))

    def lookup(self, query: str, *, region=None, cursor=None, size=50):
        """A page of a lookup, whole-key matches first (see search.lookup_page)."""
        from csrtool.subscribers.search import lookup_page

        return lookup_page(self, query, region=region, cursor=cursor, size=size)

    def newest_first(self):
        return self.order_by("-created_at", "-id")


class Subscriber(models.Model):
    """An enterprise account: the customer a CSR brings onto CX Builder."""

    public_id = models.CharField(
        "Subscriber ID", max_length=40, unique=True, default=new_public_id
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="subscribers"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.CharField("Email Address", max_length=254)
    email_canonical = models.CharField(max_length=254)
    contact_email = models.CharField(max_length=254, blank=True)
    phone = models.CharField("Phone Number", max_length=20)
    time_zone = models.CharField(max_length=64)
    # What the subscriber's pages and emails speak: one of settings.LANGUAGES.
    language = models.CharField(max_length=8, default="en")
    billing_id = models.CharField("Billing ID", max_length=100)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_ACTIVATION
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email_canonical"],
                name="subscriber_email_unique",
                violation_error_message="This email address is already in use.",
            ),
            models.CheckConstraint(
                condition=~Q(billing_id=""),
                name="subscriber_billing_id_not_blank",
                violation_error_message="Billing ID is required.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["partner", "-created_at", "-id"], name="subscriber_newest"
            ),
            models.Index(fields=["partner", "billing_id"], name="subscriber_billing"),
            models.Index(fields=["partner", "phone"], name="subscriber_phone"),
            models.Index(fields=["partner", "last_name"], name="subscriber_last_name"),
            models.Index(
                fields=["partner", "first_name"], name="subscriber_first_name"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def effective_contact_email(self):
        return self.contact_email or self.email

    @property
    def phone_display(self):
        return format_phone(self.phone)

    @property
    def date_format(self):
        """The CLDR short date pattern for the subscriber's time zone."""
        return timezones.date_pattern(self.time_zone)

    @property
    def language_name(self):
        """The subscriber's language, named in itself (Español)."""
        return dict(settings.LANGUAGES).get(self.language, self.language)

    def local_date(self, value):
        return timezones.format_local_date(value, self.time_zone)

    def local_datetime(self, value):
        return timezones.format_local_datetime(value, self.time_zone)

    def audit_snapshot(self) -> dict:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "contact_email": self.contact_email,
            "phone": self.phone,
            "time_zone": self.time_zone,
            "language": self.language,
            "billing_id": self.billing_id,
            "status": self.status,
        }


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"


class SubscriberImportQuerySet(PartnerScopedQuerySet):
    def open(self):
        return self.filter(status__in=[ImportStatus.PREVIEWED, ImportStatus.RUNNING])


class SubscriberImport(models.Model):
    """A bulk onboarding of a partner's existing customers from a CSV: the rows as
    uploaded, what the preview found, and how far writing them has got, so that
    an interrupted import continues where it stopped."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by_label = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_hash = models.CharField(max_length=64)
    content = models.TextField()
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    # True: each account's welcome email is queued as it is created (paced);
    # False: "create now, invite later", until Send invitations.
    invite_now = models.BooleanField(default=True)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    planned_add = models.PositiveIntegerField(default=0)
    planned_present = models.PositiveIntegerField(default=0)
    planned_errors = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # One letter per row in file order (a: will add / added, p: already present,
    # e: error) and each error row's reason by line. The Subscriber IDs are in
    # its parts, one per chunk written.
    outcomes = models.TextField(blank=True)
    problems = models.JSONField(default=dict, blank=True)
    invitations_queued = models.PositiveIntegerField(default=0)
    # When this import's first welcome email was queued: the k-th goes out
    # k // invitations_per_minute minutes later (the partner's pace).
    invitations_from = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The background job writing the rows, once started from the page.
    task_id = models.CharField(max_length=64, blank=True)

    objects = SubscriberImportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "file_hash"],
                condition=Q(status__in=["previewed", "running"]),
                name="subscriber_import_one_open_per_file",
                violation_error_message="This file is already being imported.",
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("total_rows")),
                name="subscriber_import_progress_within_total",
                violation_error_message="An import cannot do more rows than it has.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["partner", "-created_at", "-id"],
                name="subscriber_import_newest",
            ),
        ]

    def __str__(self):
        return self.file_name or f"Import {self.pk}"

    def subscriber_ids(self) -> dict[str, str]:
        """Each written row's Subscriber ID (added or already present), by line."""
        ids: dict[str, str] = {}
        for part in self.parts.order_by("first_row").values_list(
            "subscriber_ids", flat=True
        ):
            ids.update(part)
        return ids

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100
        return self.rows_done * 100 // self.total_rows


class SubscriberImportPart(models.Model):
    """The Subscriber IDs one chunk of an import wrote, by line: written once
    with its chunk, so an import of any size writes each ID once. The chunk's
    welcome emails are queued from here when the first of them is due (see
    `bulk_onboarding.queue_due_invitations`), not all with the import."""

    subscriber_import = models.ForeignKey(
        SubscriberImport, on_delete=models.CASCADE, related_name="parts"
    )
    first_row = models.PositiveIntegerField()
    subscriber_ids = models.JSONField(default=dict)
    # The accounts the chunk created, in the order they are invited.
    added_ids = models.JSONField(default=list)
    # The import's pace for these invitations: the k-th of `added_ids` is due
    # (first_invitation + k) // invitations_per_minute minutes after
    # invite_from. Null while the import's invitations are held back.
    invite_from = models.DateTimeField(null=True, blank=True)
    first_invitation = models.PositiveIntegerField(default=0)
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber_import", "first_row"],
                name="subscriber_import_part_once",
            )
        ]

    def __str__(self):
        return f"{self.subscriber_import} from row {self.first_row}"
