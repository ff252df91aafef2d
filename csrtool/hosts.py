"""Which host a request came to, and the address of a partner's customer pages.

The main hosts (CSRTOOL_ALLOWED_HOSTS, else the host of CSRTOOL_BASE_URL) serve
everything: the CSR console, the API, and every partner's customer pages. A
partner may also have its own portal host (`Partner.portal_host`, set by the
platform operator): there only its customers' pages are served (the welcome
form, the portal, their links), in its brand, and only its subscribers can
sign in. Any other host is refused with 400, as Django refuses a host it does
not know.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404
from django.http.request import split_domain_port, validate_host
from django.shortcuts import redirect

from csrtool.partners.models import Partner

# What a partner's portal host serves: its customers' pages and their assets.
CUSTOMER_PATHS = ("/welcome/", "/portal/", "/brand/", "/static/")


class HostMiddleware:
    """Admit the main hosts and the partners' portal hosts, nothing else; on a
    portal host, serve only the customer pages, with `request.portal_partner`
    set (None on a main host)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The Host header (X-Forwarded-Host only if USE_X_FORWARDED_HOST, never set).
        domain, _ = split_domain_port(request._get_raw_host())
        request.portal_partner = None
        if not validate_host(domain, settings.MAIN_HOSTS):
            partner = partner_of_host(domain)
            if partner is None:
                raise DisallowedHost(f"Invalid HTTP_HOST header: {domain[:255]!r}.")
            request.portal_partner = partner
            path = request.path_info
            if path == "/":
                return redirect("portal-home")
            if not path.startswith(CUSTOMER_PATHS):
                raise Http404("The CSR console is not served on a portal host.")
        return self.get_response(request)


def partner_of_host(domain: str) -> Partner | None:
    """The active partner whose portal host this is."""
    if not domain:
        return None
    return Partner.objects.filter(portal_host=domain, is_active=True).first()


def customer_base_url(partner: Partner | None) -> str:
    """Where a partner's customers open their links: its portal host, on the
    scheme and port of CSRTOOL_BASE_URL, else CSRTOOL_BASE_URL itself."""
    if partner is None or not partner.portal_host:
        return settings.BASE_URL
    base = urlsplit(settings.BASE_URL)
    port = f":{base.port}" if base.port else ""
    return f"{base.scheme}://{partner.portal_host}{port}"


def serves_partner(request, partner: Partner) -> bool:
    """Whether this request's host may show `partner`'s customer pages: any
    partner's on a main host, only its own on a portal host."""
    host_partner = getattr(request, "portal_partner", None)
    return host_partner is None or host_partner.pk == partner.pk
