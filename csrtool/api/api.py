"""The REST API at /api/v1/: one NinjaAPI, API-key auth, problem+json errors.

Each app keeps its routes in its own `api.py` router; they are mounted here.
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from csrtool.api.problems import document_problems, logger, problem
from csrtool.api.services import api_actor, key_from_secret
from csrtool.errors import DomainError, ValidationFailed

# What an operator key (`csrtool apikeys create --operator`) may call.
OPERATOR_PATHS = (
    "/api/v1/events",
    "/api/v1/partners",
    "/api/v1/staff",
    "/api/v1/audit-events",
    "/api/v1/features/catalog",
    "/api/v1/features/entitlements",
)


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer csr_…`; the request then acts as the key's Actor."""

    openapi_description = "A partner API key, created under Administration › API Keys."

    def authenticate(self, request, token):
        if hasattr(request, "csrtool_api_key"):
            key = request.csrtool_api_key  # looked up by the rate limiter
        else:
            key = key_from_secret(token)
        if key is None:
            return None
        if key.partner_id is None and not request.path.startswith(OPERATOR_PATHS):
            return None  # operator keys: only the OPERATOR_PATHS
        return api_actor(
            key,
            source_ip=request.META.get("REMOTE_ADDR"),
            request_id=getattr(request, "request_id", ""),
        )


class BodyNotAnObject(ValueError):
    pass


class JsonObjectParser(Parser):
    """Every JSON body is an object: a bare string, number, list or null is
    refused (a schema of optional fields would otherwise read it as "no field
    given"). Answered as 400 `invalid_body` (see http_error)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise BodyNotAnObject("The body must be a JSON object, such as {}.")
        return data


class CsrtoolApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        return document_problems(super().get_openapi_schema(**kwargs))


api = CsrtoolApi(
    title="csrtool API",
    version="1.0.0",
    description=(
        "Onboard enterprise customers: subscribers, phone numbers, CX Builder "
        "features. Every POST, PUT, PATCH and DELETE honours an `Idempotency-Key` "
        "header (see SECURITY.md); errors are "
        "RFC 9457 problem+json with a stable `code`; lists are cursor-paginated. "
        "Requests are limited per API key and per client address (by default 300 "
        "a minute per key, 600 per address, 30 per address without a valid key); "
        "over a limit the answer is 429 `rate_limited` with `Retry-After` in "
        "seconds (see SECURITY.md)."
    ),
    auth=ApiKeyAuth(),
    parser=JsonObjectParser(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    errors = None
    if isinstance(exc, ValidationFailed):
        errors = [
            {"field": field, "message": message}
            for field, messages in exc.errors.items()
            for message in messages
        ]
    elif exc.field:
        errors = [{"field": exc.field, "message": exc.message}]
    return problem(
        request, status=exc.status, code=exc.code, detail=exc.message, errors=errors
    )


@api.exception_handler(ValidationError)
def request_invalid(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        errors.append(
            {"field": ".".join(location[1:] or location), "message": error.get("msg")}
        )
    return problem(
        request,
        status=400,
        code="validation_failed",
        detail="The request does not match the schema.",
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return problem(
        request,
        status=401,
        code="unauthenticated",
        detail="Send a valid API key: Authorization: Bearer <key>.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return problem(request, status=404, code="not_found", detail="Not found.")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    cause = exc.__cause__
    if isinstance(cause, ValueError) and exc.status_code == 400:
        # The parser's refusal (django-ninja wraps it): say what is wrong.
        detail = (
            str(cause)
            if isinstance(cause, BodyNotAnObject)
            else "The body is not valid JSON."
        )
        return problem(
            request,
            status=400,
            code="invalid_body",
            detail=detail,
            errors=[{"field": "body", "message": detail}],
        )
    return problem(
        request, status=exc.status_code, code="http_error", detail=str(exc.message)
    )


@api.exception_handler(Exception)
def unexpected(request, exc):
    logger.exception("Unhandled API error", extra={"request_id": request.request_id})
    return problem(
        request,
        status=500,
        code="internal_error",
        detail="Something went wrong on our side. Quote the request_id to support.",
    )


api.add_router("/subscribers", "csrtool.subscribers.api.router")
api.add_router("/subscriber-imports", "csrtool.workflows.import_api.router")
api.add_router("", "csrtool.onboarding.api.router")
api.add_router("", "csrtool.onboarding.verify_api.router")
api.add_router("/numbers", "csrtool.numberpool.api.router")
api.add_router("/features", "csrtool.features.api.router")
api.add_router("/events", "csrtool.events.api.router")
api.add_router("/webhooks", "csrtool.webhooks.api.router")
api.add_router("/partners", "csrtool.partners.api.partners_router")
api.add_router("/partners", "csrtool.onboarding.email_templates.api.router")
api.add_router("/staff", "csrtool.partners.api.staff_router")
api.add_router("/audit-events", "csrtool.audit.api.router")
