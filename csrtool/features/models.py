from django.db import models
from django.db.models import Q
from django.utils import timezone

from csrtool.partners.models import Partner
from csrtool.scoping import PartnerScopedQuerySet
from csrtool.subscribers.models import Subscriber


class FeatureQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def in_order(self):
        return self.order_by("position", "name")

    def grantable_by(self, partner: Partner):
        """The active catalog features `partner` may grant to its subscribers."""
        features = self.active()
        entitlements = EntitlementSet.objects.filter(
            partner=partner, restricted=True
        ).first()
        if entitlements is not None:
            features = features.filter(entitlement_sets=entitlements)
        return features


class Feature(models.Model):
    """A CX Builder feature the platform sells; the catalog is the same for all."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    dependencies = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Inactive features cannot be newly granted; subscribers keep them.",
    )
    position = models.PositiveIntegerField(default=100)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = FeatureQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="feature_name_unique",
                violation_error_message="Another catalog feature has this name.",
            )
        ]

    def __str__(self):
        return self.name


class EntitlementSet(models.Model):
    """The catalog features one partner may grant.

    A partner without a row, or with `restricted` false, may grant the whole active
    catalog, including features the operator adds later. Once the operator narrows
    it, `restricted` is set and exactly `features` are grantable: a feature added to
    the catalog afterwards stays off for that partner until the operator adds it.
    """

    partner = models.OneToOneField(
        Partner, on_delete=models.CASCADE, related_name="entitlements"
    )
    restricted = models.BooleanField(default=False)
    features = models.ManyToManyField(
        Feature, blank=True, related_name="entitlement_sets"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PartnerScopedQuerySet.as_manager()

    def __str__(self):
        return f"Entitlements of {self.partner}"


class PlanQuerySet(PartnerScopedQuerySet):
    pass


class Plan(models.Model):
    """A partner's named bundle of features, applied to subscribers in one go."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    features = models.ManyToManyField(Feature, blank=True, related_name="plans")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "name"],
                name="plan_name_unique_per_partner",
                violation_error_message="Another plan already has this name.",
            )
        ]

    def __str__(self):
        return self.name


class Source(models.TextChoices):
    PLAN = "plan", "From the plan"
    ADDED = "added", "Added individually"
    REMOVED = "removed", "Removed from the plan"


class SubscriberFeatureQuerySet(PartnerScopedQuerySet):
    partner_field = "subscriber__partner"

    def enabled(self):
        return self.exclude(source=Source.REMOVED)


class SubscriberFeature(models.Model):
    """One feature of one subscriber and where it came from.

    A `removed` row records that the subscriber's plan includes the feature but it is
    switched off for this subscriber; every other row is an enabled feature.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="feature_rows"
    )
    feature = models.ForeignKey(Feature, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    changed_at = models.DateTimeField(default=timezone.now)

    objects = SubscriberFeatureQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "feature"],
                name="subscriber_feature_unique",
                violation_error_message="A subscriber has each feature at most once.",
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values),
                name="subscriber_feature_source_valid",
                violation_error_message="A feature comes from the plan, is added "
                "individually or is removed from the plan.",
            ),
        ]

    def __str__(self):
        return f"{self.subscriber_id}:{self.feature_id} ({self.source})"

    @property
    def enabled(self):
        return self.source != Source.REMOVED


class SubscriberPlanQuerySet(PartnerScopedQuerySet):
    partner_field = "subscriber__partner"


class SubscriberPlan(models.Model):
    """The plan last applied to a subscriber (at most one)."""

    subscriber = models.OneToOneField(
        Subscriber, on_delete=models.CASCADE, related_name="applied_plan"
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="subscriber_plans"
    )
    applied_at = models.DateTimeField(default=timezone.now)

    objects = SubscriberPlanQuerySet.as_manager()

    def __str__(self):
        return f"{self.subscriber_id}: {self.plan}"


class DashboardCounts(models.Model):
    """The dashboard's counts of one partner's subscribers and numbers (`scope`
    its id), or of every partner's (`scope` "all", the operator's), counted by
    a job where counting them on each view would take seconds (see
    `csrtool.features.dashboard`)."""

    scope = models.CharField(max_length=20, primary_key=True)
    # {"funnel": {stage: count}, "pool": [[number type, state, count], ...]}
    counts = models.JSONField(default=dict)
    counted_at = models.DateTimeField(null=True, blank=True)
    # When a job was last asked to count them: one at a time.
    asked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Dashboard counts of {self.scope}"
