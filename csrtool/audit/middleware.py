import re
import uuid

from django.conf import settings

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give each request an id that audit rows, logs and the response share."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        if settings.BEHIND_PROXY:
            # The proxy appends the address it saw: the last entry is the one to trust.
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            if forwarded:
                request.META["REMOTE_ADDR"] = forwarded.split(",")[-1].strip()
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
