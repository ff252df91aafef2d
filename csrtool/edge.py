"""The edge: what every request passes before a view runs, and what every answer
the application writes carries (SECURITY.md, "Requests and input").

- Bodies are limited per route (`body_limit`): above the limit the answer is 413,
  before the body is read.
- JSON API writes must say `Content-Type: application/json` (the number import:
  `text/csv`); anything else is 415.
- Text that no person types (NUL and other control characters except tab, line
  feed and carriage return; lone UTF-16 surrogates, which no encoding can store)
  is refused in any path; under /api/ also in the query string and in any key or
  string of a JSON body, and in a page's query string (lookups, filters, carried
  IDs). The answer is 400 and names the field; a page's forms refuse them as
  field errors instead.
- Every answer the application writes is `Cache-Control: no-store`: pages and API
  answers hold a signed-in person's data. Static files (served before this runs)
  keep their caching, and so do answers that say `public` themselves: a partner's
  logo and favicon, whose address names their content.

The API answers as problem+json, pages with the product's own error page.
"""

import functools
import json
import re

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.shortcuts import render

from csrtool.api.problems import problem
from csrtool.validation import refused_character

API_PREFIX = "/api/"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv", "text/plain")
# Routes whose body is a file, not JSON or a form: path -> (limit setting, types).
FILE_ROUTES = {
    "/api/v1/numbers/import": ("MAX_IMPORT_BODY_BYTES", CSV_TYPES),
    "/numbers/import/": ("MAX_IMPORT_BODY_BYTES", None),
}


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    route = FILE_ROUTES.get(path)
    return getattr(settings, route[0] if route else "MAX_BODY_BYTES")


@functools.cache
def _json_operations() -> list[tuple[str, re.Pattern]]:
    """(method, path pattern) of every API operation that takes a JSON body."""
    from csrtool.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))
                found.append((method.upper(), re.compile(pattern + "/?")))
    return found


def takes_json(method: str, path: str) -> bool:
    return any(
        method == m and pattern.fullmatch(path) for m, pattern in _json_operations()
    )


def _json_strings(value, field: str):
    """Every (field, string) of a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            yield name, key
            yield from _json_strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{field}.{index}" if field else str(index))


def _pairs(querydict):
    for key, values in querydict.lists():
        yield key, key
        for value in values:
            yield key, value


def _first_refusal(pairs):
    for field, value in pairs:
        reason = refused_character(value)
        if reason:
            return field, reason
    return None


class Refusal(Exception):
    def __init__(self, status: int, code: str, detail: str, field: str = ""):
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field


TITLES = {400: "Bad request", 413: "Too large", 415: "Unsupported content"}


class EdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            self.check(request)
        except Refusal as refusal:
            response = self.refuse(request, refusal)
        else:
            response = self.get_response(request)
        if response.get("Cache-Control", "").startswith("public"):
            return response  # a partner's brand image, named by its content
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response

    def check(self, request) -> None:
        is_api = request.path.startswith(API_PREFIX)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise Refusal(400, "bad_request", "The Content-Length header is malformed.")
        limit = body_limit(request.path)
        if length > limit:
            raise Refusal(
                413,
                "body_too_large",
                f"The request body has {length} bytes; this address takes at most "
                f"{limit} bytes.",
            )
        reason = refused_character(request.path)
        if reason:
            raise Refusal(400, "invalid_characters", f"The address {reason}.", "path")
        try:
            # None reaches a database: PostgreSQL cannot even compare a NUL.
            self.check_fields(_pairs(request.GET))
            if is_api:
                self.check_api_body(request, length)
        except SuspiciousOperation:
            raise Refusal(
                400, "bad_request", "The request could not be read."
            ) from None

    @staticmethod
    def check_fields(pairs) -> None:
        found = _first_refusal(pairs)
        if found:
            field, reason = found
            shown = "".join(
                ch if ch.isprintable() else ascii(ch)[1:-1] for ch in field
            )  # a field name may itself hold what is refused
            raise Refusal(
                400, "invalid_characters", f"The field '{shown}' {reason}.", shown
            )

    def check_api_body(self, request, length: int) -> None:
        if request.method not in WRITES or length == 0:
            return
        route = FILE_ROUTES.get(request.path)
        if route:
            types = route[1]
        elif takes_json(request.method, request.path):
            types = JSON_TYPES
        else:
            return  # an operation without a body: what was sent is not read
        content_type = request.content_type or ""
        if content_type not in types and not (
            types is JSON_TYPES and content_type.endswith("+json")
        ):
            raise Refusal(
                415,
                "unsupported_media_type",
                f"Send the body as {' or '.join(types)}, not "
                f"{content_type or 'an unnamed type'}.",
            )
        if types is not JSON_TYPES:
            return
        try:
            data = json.loads(request.body)
        except ValueError:
            return  # the API answers malformed JSON itself
        except RecursionError:
            raise Refusal(
                400, "bad_request", "The JSON body is nested too deeply."
            ) from None
        self.check_fields(_json_strings(data, ""))

    @staticmethod
    def refuse(request, refusal: Refusal):
        if request.path.startswith(API_PREFIX):
            errors = None
            if refusal.field:
                errors = [{"field": refusal.field, "message": refusal.detail}]
            return problem(
                request,
                status=refusal.status,
                code=refusal.code,
                detail=refusal.detail,
                errors=errors,
            )
        context = {
            "error_page": True,
            "is_staff": False,
            "title": TITLES[refusal.status],
            "message": refusal.detail,
        }
        return render(request, "errors/refused.html", context, status=refusal.status)
