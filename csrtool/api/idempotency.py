"""Idempotency-Key on every API write (POST, PUT, PATCH, DELETE): a retry replays
the first answer.

The first request with a key stores a placeholder row (unique per API key and
Idempotency-Key), runs, then stores its answer. A retry with the same key and the same
request (method, path, query string and body) gets that answer again, marked
`Idempotent-Replayed: true`; the same key with any other request is refused (422); a
retry while the first is still running is told to wait (409). Answers of 5xx are not
kept, so the client can retry. Keys are remembered for 24 hours.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from csrtool.api.models import IdempotencyRecord
from csrtool.api.problems import problem
from csrtool.api.services import key_from_secret

HEADER = "Idempotency-Key"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
KEEP_FOR = timedelta(hours=24)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        idempotency_key = request.headers.get(HEADER)
        if (
            request.method not in WRITES
            or idempotency_key is None
            or not request.path.startswith("/api/")
        ):
            return self.get_response(request)
        if not 1 <= len(idempotency_key) <= 255 or not idempotency_key.isprintable():
            return problem(
                request,
                status=400,
                code="invalid_idempotency_key",
                detail="Idempotency-Key must be 1 to 255 printable characters.",
            )
        authorization = request.headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        api_key = key_from_secret(token.strip()) if scheme.lower() == "bearer" else None
        if api_key is None:
            return self.get_response(request)  # authentication answers 401

        fingerprint = request_fingerprint(request)
        record = self._claim(api_key, idempotency_key, request, fingerprint)
        if isinstance(record, HttpResponse):
            return record
        response = self.get_response(request)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=bytes(response.content),
        )
        return response

    def _claim(self, api_key, idempotency_key, request, fingerprint):
        for _ in range(2):
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        api_key=api_key,
                        key=idempotency_key,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=fingerprint,
                    )
            except IntegrityError:
                pass
            existing = IdempotencyRecord.objects.filter(
                api_key=api_key, key=idempotency_key
            ).first()
            if existing is None:
                continue
            if existing.created_at < timezone.now() - KEEP_FOR:
                existing.delete()
                continue
            if existing.request_hash != fingerprint:
                return problem(
                    request,
                    status=422,
                    code="idempotency_key_reused",
                    detail="This Idempotency-Key was used for a different request.",
                )
            if existing.status_code is None:
                return problem(
                    request,
                    status=409,
                    code="request_in_progress",
                    detail="A request with this Idempotency-Key is still running.",
                    headers={"Retry-After": "1"},
                )
            response = HttpResponse(
                bytes(existing.body or b""),
                status=existing.status_code,
                content_type=existing.content_type or "application/json",
            )
            response["Idempotent-Replayed"] = "true"
            return response
        return problem(
            request, status=409, code="request_in_progress", detail="Retry shortly."
        )


def request_fingerprint(request) -> str:
    """What a retry must repeat exactly: method, path, query string and body.

    Each part is hashed on its own first, so no part can spill into the next."""
    parts = (
        request.method.encode(),
        request.path.encode(),
        request.META.get("QUERY_STRING", "").encode("latin-1", "replace"),
        request.body,
    )
    return hashlib.sha256(
        b"".join(hashlib.sha256(part).digest() for part in parts)
    ).hexdigest()
