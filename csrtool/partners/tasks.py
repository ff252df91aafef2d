"""Background jobs of the partners app."""

from django_tasks import task


@task(queue_name="email")
def send_staff_invitation(user_id: int, inviter: str) -> int:
    """Email a member of staff the link to set their password.

    The link is made at sending time: it is never stored, and nobody who invites
    sees it. A member switched off meanwhile gets nothing.
    """
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse

    from csrtool.partners.models import User
    from csrtool.partners.services import set_password_url

    user = User.objects.select_related("partner").get(pk=user_id)
    if not user.is_active:
        return 0
    context = {
        "member": user,
        "inviter": inviter,
        "organisation": user.partner.name if user.partner else "the platform",
        "link": set_password_url(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "sign_in_url": settings.BASE_URL + reverse("login"),
    }
    message = EmailMultiAlternatives(
        subject=f"Set your password for the {context['organisation']} CSR console",
        body=render_to_string("partners/emails/invitation.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("partners/emails/invitation.html", context), "text/html"
    )
    return message.send()
