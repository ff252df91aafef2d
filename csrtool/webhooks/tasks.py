"""Background jobs of the webhooks app."""

from django_tasks import task


@task(queue_name="email")
def tell_admins_endpoint_disabled(endpoint_id: int) -> int:
    """Email the partner admins that an endpoint was switched off."""
    from django.conf import settings
    from django.core.mail import send_mail

    from csrtool.partners.models import Role, User
    from csrtool.webhooks.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.select_related("partner").get(pk=endpoint_id)
    admins = list(
        User.objects.filter(
            partner=endpoint.partner, role=Role.PARTNER_ADMIN, is_active=True
        ).values_list("email", flat=True)
    )
    if not admins:
        return 0
    return send_mail(
        subject=f"Webhook endpoint switched off: {endpoint.url}",
        message=(
            f"Every delivery to the webhook endpoint {endpoint.url} "
            f"({endpoint.description or 'no description'}) has failed for "
            f"{settings.WEBHOOK_DISABLE_AFTER_DAYS} days, so it has been switched "
            "off. Events keep going into the event feed (GET /api/v1/events).\n\n"
            "Once the receiver works again, switch the endpoint back on under "
            "Administration › Webhooks, and send the missed events again from its "
            "delivery log.\n"
        ),
        from_email=None,
        recipient_list=admins,
    )
