"""Rate limits on the REST API (SECURITY.md), shared by every server process.

Every request under /api/ counts against its client address; a request with a
valid API key counts against that key too, and one without (a bad, revoked or
missing key) against the address's tighter bad-key limit. Over a limit the answer
is 429 problem+json `rate_limited` with `Retry-After`, before anything else runs.

Counts are per fixed minute. They live in the database (one upsert per count) or,
when CSRTOOL_REDIS_URL is set, in Redis (INCR on a key that expires with its
minute), so every web process and server shares them.
"""

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.utils.crypto import salted_hmac

from csrtool.api.models import RateCount
from csrtool.api.problems import problem
from csrtool.api.services import key_from_secret

logger = logging.getLogger("csrtool.api")

WINDOW = 60  # seconds
# Pages of the API's own documentation, fetched without a key.
DOCUMENTATION = ("/api/v1/docs", "/api/v1/openapi.json")


@dataclass(frozen=True)
class Limit:
    name: str
    setting: str
    what: str

    @property
    def per_minute(self) -> int:
        return getattr(settings, self.setting)


PER_KEY = Limit("key", "API_KEY_REQUESTS_PER_MINUTE", "this API key")
PER_ADDRESS = Limit("address", "API_ADDRESS_REQUESTS_PER_MINUTE", "your address")
BAD_KEYS = Limit("bad_key", "API_ADDRESS_BAD_KEYS_PER_MINUTE", "your address")


class DatabaseCounts:
    """One row per limit, key and minute; the upsert is one atomic statement.

    On PostgreSQL a count's commit does not wait for the disk (an asynchronous
    commit, `synchronous_commit = off` for that transaction only): a crash may
    lose the last moment's counts, which costs nothing, while waiting for the
    write-ahead log to be flushed twice cost every API request far more than
    its counting did. The setting and the upsert go to the server as one
    message, which runs as one transaction of its own: one round trip a count
    (an explicit BEGIN, SET, upsert and COMMIT were four)."""

    def hit(self, bucket: str, window_end: int) -> int:
        table = RateCount._meta.db_table
        expires_at = datetime.fromtimestamp(window_end, UTC)
        upsert = (
            f"INSERT INTO {table} (bucket, count, expires_at) "  # noqa: S608
            "VALUES (%s, 1, %s) ON CONFLICT (bucket) "
            f"DO UPDATE SET count = {table}.count + 1 RETURNING count"
        )
        # Not within a caller's transaction, whose writes must stay durable.
        asynchronous = (
            connection.vendor == "postgresql" and not connection.in_atomic_block
        )
        with connection.cursor() as cursor:
            if asynchronous:
                # Two statements in one query, sent with their values quoted in
                # (by the driver): the server runs them as one transaction.
                count_sql = connection.ops.compose_sql(upsert, [bucket, expires_at])
                cursor.execute(f"SET LOCAL synchronous_commit = off; {count_sql}")
                cursor.nextset()
            else:
                cursor.execute(upsert, [bucket, expires_at])
            count = cursor.fetchone()[0]
        if count == 1:
            # A new minute for this key: the rows of minutes gone go now.
            RateCount.objects.filter(
                expires_at__lte=datetime.fromtimestamp(window_end - WINDOW, UTC)
            ).delete()
        return count


class RedisCounts:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1)

    def hit(self, bucket: str, window_end: int) -> int:
        key = settings.REDIS_KEY_PREFIX + "rate:" + bucket
        pipeline = self.client.pipeline()
        pipeline.set(key, 0, exat=window_end + 1, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]


_redis: dict[str, RedisCounts] = {}


def counts():
    """Where the counts live: Redis when configured, else the database."""
    url = settings.REDIS_URL
    if not url:
        return DatabaseCounts()
    if url not in _redis:
        _redis[url] = RedisCounts(url)
    return _redis[url]


def hit(limit: Limit, key: str, *, now: float | None = None) -> int | None:
    """Count one request; the seconds to wait when it is over the limit, else None."""
    now = time.time() if now is None else now
    window_start = int(now // WINDOW * WINDOW)
    window_end = window_start + WINDOW
    bucket = salted_hmac(
        "csrtool.api.ratelimit", f"{limit.name}:{key}:{window_start}"
    ).hexdigest()
    try:
        count = counts().hit(bucket, window_end)
    except Exception:
        # The limiter must not take the API down with it: a lost Redis lets
        # requests through (and says so in the log) rather than refusing them all.
        logger.exception("Rate limit counts unavailable; request let through")
        return None
    if count <= limit.per_minute:
        return None
    return max(1, math.ceil(window_end - now))


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        address = request.META.get("REMOTE_ADDR") or ""
        wait = hit(PER_ADDRESS, address)
        if wait is not None:
            return too_many(request, PER_ADDRESS, wait)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        api_key = key_from_secret(token.strip()) if scheme.lower() == "bearer" else None
        # ApiKeyAuth takes the key from here instead of looking it up again.
        request.csrtool_api_key = api_key
        if api_key is not None:
            wait = hit(PER_KEY, str(api_key.pk))
            if wait is not None:
                return too_many(request, PER_KEY, wait)
        elif not request.path.startswith(DOCUMENTATION):
            wait = hit(BAD_KEYS, address)
            if wait is not None:
                return too_many(request, BAD_KEYS, wait)
        return self.get_response(request)


def too_many(request, limit: Limit, wait: int):
    detail = (
        f"Too many requests from {limit.what}: at most {limit.per_minute} a minute"
        + (" without a valid API key" if limit is BAD_KEYS else "")
        + f". Try again in {wait} seconds."
    )
    return problem(
        request,
        status=429,
        code="rate_limited",
        detail=detail,
        headers={"Retry-After": str(wait)},
    )
