from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext

from csrtool.scoping import PartnerScopedQuerySet
from csrtool.validation import canonical_email


class SecondFactorPolicy(models.TextChoices):
    """Who of a partner's staff must pass a second factor after their password
    (the platform operator's people always must)."""

    NOBODY = "nobody", "Nobody"
    PARTNER_ADMINS = "partner_admins", "Partner admins"
    ALL_STAFF = "all_staff", "All staff"


class Partner(models.Model):
    """An OEM of the platform: the hard boundary around subscribers, numbers, staff."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        help_text="Default time zone for new subscribers.",
    )
    # New subscribers' language (one of settings.LANGUAGES) unless the CSR picks one.
    default_language = models.CharField(max_length=8, default="en")
    is_active = models.BooleanField(default=True)
    # Branding of the email subscribers receive.
    product_name = models.CharField(max_length=100, default="CX Builder")
    sender_name = models.CharField(max_length=100, blank=True)
    sender_email = models.EmailField(blank=True)
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=32, blank=True)
    # Policies the partner admin sets.
    link_expiry_hours = models.PositiveIntegerField(default=72)
    number_aging_days = models.PositiveIntegerField(default=90)
    number_hold_minutes = models.PositiveIntegerField(default=30)
    self_service_numbers = models.BooleanField(default=True)
    # API keys nobody used for this many days stop working (0: never).
    api_key_idle_days = models.PositiveIntegerField(default=90)
    # The brand on what the partner's customers see (pages and emails), #rrggbb;
    # empty: the product's own. Primary: buttons and links; accent: the top bar.
    brand_primary = models.CharField(max_length=7, blank=True)
    brand_accent = models.CharField(max_length=7, blank=True)
    # Welcome emails of a bulk import go out at most this many a minute.
    invitations_per_minute = models.PositiveIntegerField(default=60)
    # The partner's own host for its customers' pages (see csrtool/hosts.py);
    # empty: they use the main host.
    portal_host = models.CharField(max_length=253, blank=True)
    # Links in the footer of its customers' pages and emails; empty: not shown.
    terms_url = models.CharField(max_length=500, blank=True)
    privacy_url = models.CharField(max_length=500, blank=True)
    support_url = models.CharField(max_length=500, blank=True)
    second_factor_required_for = models.CharField(
        max_length=20, choices=SecondFactorPolicy.choices, default="nobody"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["portal_host"],
                condition=~Q(portal_host=""),
                name="partner_portal_host_unique",
                violation_error_message="Another partner has this host name.",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def footer_links(self) -> list[tuple[str, str]]:
        """(label, address) of the footer links the partner has set."""
        links = [
            (gettext("Terms of service"), self.terms_url),
            (gettext("Privacy"), self.privacy_url),
            (gettext("Support"), self.support_url),
        ]
        return [(label, url) for label, url in links if url]

    @property
    def display_sender_name(self):
        return self.sender_name or self.name

    @cached_property
    def _images_by_kind(self) -> dict:
        # Without their bytes: pages only need the address (kind, hash, format).
        return {image.kind: image for image in self.brand_images.defer("content")}

    @property
    def logo(self):
        """The partner's logo (a BrandImage), or None: the product name is shown."""
        return self._images_by_kind.get("logo") if self.pk else None

    @property
    def favicon(self):
        return self._images_by_kind.get("favicon") if self.pk else None


class Role(models.TextChoices):
    OPERATOR = "operator", "Platform operator"
    PARTNER_ADMIN = "partner_admin", "Partner admin"
    CSR = "csr", "CSR"
    AUDITOR = "auditor", "Auditor"


class UserQuerySet(PartnerScopedQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email_canonical=canonical_email(username))


class User(AbstractBaseUser):
    """Staff: the operator's people, or a partner's admins, CSRs and auditors."""

    email = models.CharField(max_length=254)
    email_canonical = models.CharField(max_length=254, unique=True)
    full_name = models.CharField(max_length=100, blank=True)
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    time_zone = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email_canonical"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email_canonical"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=Role.OPERATOR) & Q(partner__isnull=True))
                | (~Q(role=Role.OPERATOR) & Q(partner__isnull=False)),
                name="staff_partner_matches_role",
                violation_error_message=(
                    "Operators belong to no partner; every other role belongs to one."
                ),
            )
        ]

    def __str__(self):
        return self.email

    @property
    def is_operator(self):
        return self.role == Role.OPERATOR

    @property
    def display_name(self):
        return self.full_name or self.email

    @property
    def effective_time_zone(self):
        if self.time_zone:
            return self.time_zone
        return self.partner.time_zone if self.partner_id else "UTC"


class StaffPasskey(models.Model):
    """A passkey or security key (WebAuthn) a member of staff uses as their
    second factor: the public key the authenticator made for this site."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=100)
    # base64url, as browsers and py_webauthn write it (up to 1023 bytes raw).
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.name} ({self.user})"


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
        # Made by the portal app before the model moved here; kept as it was.
        db_table = "portal_throttle"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key_digest"],
                name="portal_throttle_one_row_per_key",
                violation_error_message="This counter already exists.",
            )
        ]

    def __str__(self):
        return f"{self.scope}:{self.key_digest[:8]} {self.count}"


class BrandImageKind(models.TextChoices):
    LOGO = "logo", "Logo"
    FAVICON = "favicon", "Favicon"


class BrandImage(models.Model):
    """A partner's logo or favicon, checked and re-encoded (csrtool/partners/logos.py).

    The bytes live in the database, so every app server serves the same image;
    `sha256` names the content in its address, which is therefore cached for good.
    """

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="brand_images"
    )
    kind = models.CharField(max_length=10, choices=BrandImageKind.choices)
    content_type = models.CharField(max_length=40)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="Bytes, as served.")
    # Pixels of a raster image; None for SVG.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind"],
                name="brand_image_one_per_partner_and_kind",
                violation_error_message="A partner has one logo and one favicon.",
            )
        ]

    def __str__(self):
        return f"{self.partner_id} {self.kind} {self.sha256[:12]}"

    @property
    def extension(self) -> str:
        return {
            "image/png": "png",
            "image/webp": "webp",
            "image/svg+xml": "svg",
        }[self.content_type]

    @property
    def path(self) -> str:
        """Its address on any host that serves the partner's customer pages."""
        return reverse(
            "partner-brand-image",
            kwargs={
                "slug": self.partner.slug,
                "kind": self.kind,
                "digest": self.sha256[:16],
                "extension": self.extension,
            },
        )


class PartnerSingleSignOn(models.Model):
    """A partner's OpenID Connect provider: its staff sign in there.

    The client secret is kept (the token request needs it) but never shown back
    and never written to the audit log.
    """

    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="single_sign_on"
    )
    issuer = models.CharField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret = models.CharField(max_length=500)
    password_sign_in_allowed = models.BooleanField(default=True)
    # [{"claim": "groups", "value": "support", "role": "csr"}, …]: the first
    # rule whose claim holds the value gives the role; none: no access.
    role_rules = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.partner} via {self.issuer}"

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class SingleSignOnDomain(models.Model):
    """An email domain whose staff sign in at one partner's provider."""

    single_sign_on = models.ForeignKey(
        PartnerSingleSignOn, on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(max_length=253)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"],
                name="sso_domain_unique",
                violation_error_message="Another partner's single sign-on covers "
                "this domain.",
            )
        ]

    def __str__(self):
        return self.domain
