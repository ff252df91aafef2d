"""Errors as RFC 9457 problem+json, each with a stable `code` scripts can rely on."""

import functools
import json
import logging

from django.http import HttpResponse

logger = logging.getLogger("csrtool.api")

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    request,
    *,
    status: int,
    code: str,
    detail: str = "",
    errors: list[dict] | None = None,
    headers: dict | None = None,
) -> HttpResponse:
    body = {
        "type": f"urn:csrtool:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(request, "request_id", ""),
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def problem_when_method_not_allowed(view):
    """Answer a method the path does not take (405) as problem+json too."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        return problem(
            request,
            status=405,
            code="method_not_allowed",
            detail=f"{request.method} is not allowed here; use {allowed}.",
            headers={"Allow": allowed},
        )

    return wrapped


PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "An RFC 9457 problem; `code` is stable, `detail` is for people.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "code", "detail", "instance"],
}
ERROR_RESPONSE = {
    "description": "The request was refused; the body says why.",
    "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    },
}


def document_problems(schema: dict) -> dict:
    """Declare that every operation may answer a 4xx problem+json."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
        PROBLEM_SCHEMA
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            operation.setdefault("responses", {}).setdefault("4XX", ERROR_RESPONSE)
    return schema
