"""The language a subscriber's pages and emails speak.

The CSR console, the API and the command line speak English (LANGUAGE_CODE).
Each subscriber has a language (one of LANGUAGES, chosen on Add Enterprise
Account — the partner's default unless the CSR picks another — and changed by
the subscriber in Account Settings): their welcome form, their portal pages and
every email to them use it, and the browser remembers it (a cookie) for the
pages it opens before anyone is known again (the portal's sign-in after signing
out). Such a page otherwise speaks the browser's language when we speak it,
else the host partner's default.

Dates keep the rule of `timezones` (the short date pattern of the time zone's
territory, whatever the language); names from CLDR (countries, through Babel)
follow the language.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

# The pages a subscriber reads (their assets under /static/ and /brand/ speak no
# language).
SUBSCRIBER_PAGES = ("/welcome/", "/portal/")


def offered() -> dict[str, str]:
    return dict(settings.LANGUAGES)


def browser_language(request) -> str | None:
    """The first language of the request's Accept-Language that we speak."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for tag, _ in translation.trans_real.parse_accept_lang_header(header):
        if tag == "*":
            break
        code = tag.lower()
        code = code if code in offered() else code.split("-")[0]
        if code in offered():
            return code
    return None


def visitor_language(request) -> str:
    """A customer page's language before we know who is reading it."""
    partner = getattr(request, "portal_partner", None)
    remembered = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return (
        (remembered if remembered in offered() else None)
        or browser_language(request)
        or (partner.default_language if partner else None)
        or settings.LANGUAGE_CODE
    )


def use_subscriber_language(request, subscriber) -> None:
    """From here on, this request speaks `subscriber`'s language."""
    language = subscriber.language if subscriber.language in offered() else None
    translation.activate(language or settings.LANGUAGE_CODE)
    request.LANGUAGE_CODE = translation.get_language()
    request.remember_language = True


class CustomerLanguageMiddleware:
    """Customer pages (the welcome form, the portal) speak the visitor's
    language until a view knows the subscriber; everything else speaks
    LANGUAGE_CODE. The answer says which (Content-Language) and that it depends
    on Accept-Language (Vary)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        customer = request.path_info.startswith(SUBSCRIBER_PAGES)
        translation.activate(
            visitor_language(request) if customer else settings.LANGUAGE_CODE
        )
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            language = request.LANGUAGE_CODE
            translation.deactivate()
        if customer:
            response.headers.setdefault("Content-Language", language)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            remembered = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if getattr(request, "remember_language", False) and remembered != language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        return response
