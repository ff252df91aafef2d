"""The partner boundary every partner-owned table shares."""

from django.db import models


class PartnerScopedQuerySet(models.QuerySet):
    """Every partner-scoped read starts here, so no query can forget the partner."""

    partner_field = "partner"

    def for_partner(self, partner):
        return self.filter(**{self.partner_field: partner})

    def for_actor(self, actor, *, with_partner=False):
        """The rows the actor may read. `with_partner` gives each row its
        partner: an operator's rows join it, a partner's staff get the actor's
        own partner object on every row, read with the request, so the query
        joins nothing (for reads that show rows, not for services that act on
        a partner changed since the actor was made). `with_partner` needs a
        partner column on the table itself."""
        if actor.is_operator:
            return self.select_related(self.partner_field) if with_partner else self
        queryset = self.for_partner(actor.partner)
        if with_partner:
            field = self.model._meta.get_field(self.partner_field)
            queryset._known_related_objects = {
                **queryset._known_related_objects,
                field: {actor.partner.pk: actor.partner},
            }
        return queryset
