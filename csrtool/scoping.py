"""The partner boundary every partner-owned table shares."""

from django.db import models


class PartnerScopedQuerySet(models.QuerySet):
    """Every partner-scoped read starts here, so no query can forget the partner."""

    partner_field = "partner"

    def for_partner(self, partner):
        return self.filter(**{self.partner_field: partner})

    def for_actor(self, actor):
        if actor.is_operator:
            return self
        return self.for_partner(actor.partner)
