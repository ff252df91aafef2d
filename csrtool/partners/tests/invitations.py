"""Reading a staff invitation as its recipient does."""

import re

from django.conf import settings


def invitation_path(message) -> str:
    """The set-password link of an invitation email, as a path on this server."""
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+/staff/set-password/\S+", text)
    return link.removeprefix(settings.BASE_URL)
