import time
import zoneinfo

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone

from csrtool.partners.login_events import SESSION_LOGIN_AT

# When a request last renewed its session (a Unix time, in the session).
SESSION_RENEWED_AT = "renewed_at"


class SessionRenewalMiddleware:
    """Keep a signed-in session (staff or portal) alive while it is used, with
    one write a minute at most.

    A session ends SESSION_COOKIE_AGE (the idle limit) after it was last
    written, in the database and in the browser's cookie alike. Writing it on
    every request kept that limit to the second, for an UPDATE and a commit on
    every page (1.45 ms of a 6.9 ms Subscriber Lookup page on PostgreSQL). A
    request now renews its session only when the last renewal is
    SESSION_RENEW_SECONDS old or more, or when the session is being written
    anyway: the idle limit runs from at most that long before the last
    request, never after it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A session no one read this request is left alone (the API's
        # requests), and so is an empty one (a visitor who is not signed in).
        if session is None or not session.accessed or session.is_empty():
            return response
        now = int(time.time())
        renewed = session.get(SESSION_RENEWED_AT, 0)
        if session.modified or now - renewed >= settings.SESSION_RENEW_SECONDS:
            session[SESSION_RENEWED_AT] = now
        return response


class StaffSessionLimitMiddleware:
    """End a staff session this long after sign-in, however busy it has been
    (the idle limit is the session cookie's age)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in = request.session.get(SESSION_LOGIN_AT, 0)
            if time.time() - signed_in > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class StaffTimezoneMiddleware:
    """Show dates to each member of staff in their own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.effective_time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
