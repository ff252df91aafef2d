"""API rate limits: per key, per client address, bad keys included; 429 with
Retry-After; counts shared through the database, or Redis when configured."""

import json
import time
import types
import uuid
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from csrtool.api import ratelimit
from csrtool.api.models import RateCount
from csrtool.api.services import create_api_key
from csrtool.partners.access import staff_actor

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["database", "redis"])
def backend(request):
    """The limits, small, on each backend; Redis keys under a prefix of their own."""
    prefix = f"csrtool-test-{uuid.uuid4().hex}:"
    limits = {
        "API_ADDRESS_REQUESTS_PER_MINUTE": 12,
        "API_KEY_REQUESTS_PER_MINUTE": 5,
        "API_ADDRESS_BAD_KEYS_PER_MINUTE": 3,
        "REDIS_URL": REDIS if request.param == "redis" else "",
        "REDIS_KEY_PREFIX": prefix,
    }
    # The limits count per clock minute: a test's calls straddling a minute's end
    # (a slow machine) would start a new count. The limiter's clock stands still
    # a second into the current minute.
    frozen = time.time() // ratelimit.WINDOW * ratelimit.WINDOW + 1
    clock = types.SimpleNamespace(time=lambda: frozen)
    with override_settings(**limits), mock.patch.object(ratelimit, "time", clock):
        yield request.param
    if request.param == "redis":
        store = redis.Redis.from_url(REDIS)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
        store.close()


def new_key(cast, name="Sync"):
    _, secret = create_api_key(actor=staff_actor(cast.alice), name=name)
    return secret


def call(secret, ip="198.51.100.7", path="/api/v1/subscribers"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return Client().get(path, REMOTE_ADDR=ip, **headers)


def assert_rate_limited(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60
    body = json.loads(response.content)
    assert body["code"] == "rate_limited" and body["status"] == 429
    assert f"{response['Retry-After']} seconds" in body["detail"]


def test_one_key_gets_its_limit_then_429_from_any_address(cast, backend):
    secret = new_key(cast)
    answers = [call(secret, ip=f"198.51.100.{n}").status_code for n in range(5)]
    assert answers == [200] * 5
    assert_rate_limited(call(secret, ip="198.51.100.99"))
    # Another key of the same partner is counted on its own.
    assert call(new_key(cast, "Other"), ip="198.51.100.98").status_code == 200


def test_bad_keys_are_limited_per_address(cast, backend):
    for n in range(3):
        assert call(f"csr_bad_{n}", ip="203.0.113.9").status_code == 401
    assert_rate_limited(call("csr_bad_again", ip="203.0.113.9"))
    assert_rate_limited(call(None, ip="203.0.113.9"))
    # A good key from that address still works; another address is not affected.
    assert call(new_key(cast), ip="203.0.113.9").status_code == 200
    assert call("csr_bad_x", ip="203.0.113.10").status_code == 401


def test_every_request_from_one_address_counts_whatever_its_key(cast, backend):
    keys = [new_key(cast, f"Key {n}") for n in range(3)]
    answers = [call(keys[n % 3], ip="203.0.113.20").status_code for n in range(12)]
    assert answers == [200] * 12
    assert_rate_limited(call(keys[0], ip="203.0.113.20"))


def test_a_refused_request_changes_nothing(cast, backend):
    secret = new_key(cast)
    for _ in range(5):
        call(secret)
    response = Client().post(
        "/api/v1/subscribers",
        data={"first_name": "Ann"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        REMOTE_ADDR="198.51.100.7",
    )
    assert_rate_limited(response)
    assert not cast.acme.subscribers.filter(first_name="Ann").exists()


def test_the_counts_are_shared_by_every_process(cast, backend):
    """A fresh connection to the store (what another server process has) sees
    the counts: one for the address, one for the key."""
    secret = new_key(cast)
    for _ in range(3):
        call(secret)
    if backend == "database":
        counts = list(RateCount.objects.values_list("count", flat=True))
    else:
        store = redis.Redis.from_url(REDIS)
        prefix = f"{settings.REDIS_KEY_PREFIX}rate:"
        counts = [int(store.get(key)) for key in store.scan_iter(f"{prefix}*")]
        store.close()
    assert sorted(counts) == [3, 3]


def test_the_next_minute_starts_afresh(cast, backend):
    now = 1_800_000_000.0
    for _ in range(3):
        assert ratelimit.hit(ratelimit.BAD_KEYS, "203.0.113.5", now=now) is None
    assert ratelimit.hit(ratelimit.BAD_KEYS, "203.0.113.5", now=now + 10) == 50
    assert ratelimit.hit(ratelimit.BAD_KEYS, "203.0.113.5", now=now + 60) is None


def test_the_documentation_needs_no_key_and_no_bad_key_allowance(cast, backend):
    for _ in range(5):
        assert call(None, path="/api/v1/openapi.json").status_code == 200


def test_pages_are_not_counted(cast, backend, client_for):
    alice = client_for(cast.alice)
    for _ in range(15):
        assert alice.get("/subscribers/", REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_count_is_committed_without_waiting_for_the_disk():
    """Outside any transaction of the caller's (as the middleware counts), a
    count commits asynchronously; inside one, the caller's commit stays durable."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's asynchronous commit; SQLite's commits are local")
    counts = ratelimit.DatabaseCounts()

    with CaptureQueriesContext(connection) as alone:
        counts.hit("bucket-a", 1_800_000_060)
    with transaction.atomic(), CaptureQueriesContext(connection) as within:
        counts.hit("bucket-a", 1_800_000_060)

    # One message to the server, which runs it as one transaction of its own:
    # the setting holds for the count's commit, and for nothing after it.
    # (A new minute's first count then deletes the rows of minutes gone.)
    count = alone[0]["sql"]
    table = RateCount._meta.db_table
    assert count.startswith(f"SET LOCAL synchronous_commit = off; INSERT INTO {table}")
    assert "'bucket-a'" in count
    assert not any("synchronous_commit" in query["sql"] for query in within)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert RateCount.objects.get(bucket="bucket-a").count == 2
