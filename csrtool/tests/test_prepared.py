"""A query compiled once answers each call with that call's values, as the
queryset it was built from would, and refuses a build that hides a value."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from csrtool.api.models import ApiKey
from csrtool.api.services import create_api_key, key_from_secret
from csrtool.features.readiness import annotate_readiness
from csrtool.numberpool.imports import preview_import
from csrtool.numberpool.models import NumberImport
from csrtool.prepared import Prepared, PreparedUpdate, rows_apart, update_apart
from csrtool.settings import database_from_url
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.search import _IdAmong, lookup_for


def _of_partner(shape, partner_id, email):
    (with_partner,) = shape
    queryset = Subscriber.objects.filter(partner_id=partner_id, email_canonical=email)
    if with_partner:
        queryset = queryset.select_related("partner")
    return annotate_readiness(queryset).order_by("-created_at")[:5]


def test_each_call_reads_with_its_own_values(cast):
    prepared = Prepared(_of_partner)
    email = "sam@customer.example"
    assert [s.pk for s in prepared.rows((False,), cast.acme.pk, email)] == [cast.sam.pk]
    # The same shape for another partner: the partner is a value, not the SQL's.
    assert prepared.rows((False,), cast.globex.pk, email) == []
    assert [s.pk for s in prepared.rows((False,), cast.globex.pk, cast.gus.email)] == [
        cast.gus.pk
    ]


def test_the_rows_are_what_the_queryset_gives(cast):
    prepared = Prepared(_of_partner)
    [sam] = prepared.rows((True,), cast.acme.pk, "sam@customer.example")
    [expected] = _of_partner((True,), cast.acme.pk, "sam@customer.example")
    assert sam.partner.name == "Acme Telecom"
    assert (sam.has_number, sam.has_features) == (False, False)
    assert sam.created_at == expected.created_at
    assert sam.created_at.tzinfo is not None
    assert {f.attname: getattr(sam, f.attname) for f in Subscriber._meta.fields} == {
        f.attname: getattr(expected, f.attname) for f in Subscriber._meta.fields
    }
    # The partner came with the row, in one query.
    with CaptureQueriesContext(connection) as queries:
        [sam] = prepared.rows((True,), cast.acme.pk, "sam@customer.example")
        assert sam.partner.slug == "acme"
    assert len(queries) == 1


def test_a_value_the_sql_does_not_carry_as_given_is_refused(cast):
    starting = Prepared(
        lambda _shape, text: Subscriber.objects.filter(email__startswith=text)
    )
    with pytest.raises(ValueError, match="not a parameter as given"):
        starting.rows((), "sam")
    ignored = Prepared(lambda _shape, pk: Subscriber.objects.filter(Q(pk__gt=0)))
    with pytest.raises(ValueError, match="not parameters of the SQL"):
        ignored.rows((), cast.sam.pk)


def _holding(_shape, partner_id, text):
    return Subscriber.objects.filter(partner_id=partner_id, last_name__icontains=text)


def test_a_text_is_carried_inside_a_contains_pattern_escaped_as_django_escapes_it(
    cast,
):
    Subscriber.objects.filter(pk=cast.sam.pk).update(last_name="Perxcent")
    holding = Prepared(_holding)
    # Unescaped, `_` and `%` would match any letter.
    for text, found in [("RXC", [cast.sam.pk]), ("r_c", []), ("r%t", [])]:
        assert [s.pk for s in holding.rows((), cast.acme.pk, text)] == found, text
        assert [s.pk for s in _holding((), cast.acme.pk, text)] == found, text
    assert holding.rows((), cast.globex.pk, "RXC") == []


def _ending_in(_shape, partner_id, text):
    return Subscriber.objects.filter(partner_id=partner_id, last_name__endswith=text)


def test_a_text_is_carried_inside_an_endswith_pattern_escaped_as_well(cast):
    Subscriber.objects.filter(pk=cast.sam.pk).update(last_name="Perxcent")
    ending_in = Prepared(_ending_in)
    for text, found in [("cent", [cast.sam.pk]), ("c_nt", []), ("%nt", [])]:
        assert [s.pk for s in ending_in.rows((), cast.acme.pk, text)] == found, text
        assert [s.pk for s in _ending_in((), cast.acme.pk, text)] == found, text


def _activating(shape, partner_id, since, name, moment):
    """Of a partner's subscribers made since a moment: a new first name and an
    activation moment."""
    return (
        Subscriber.objects.filter(partner_id=partner_id, created_at__gte=since),
        {"first_name": name, "activated_at": moment},
    )


def test_an_update_runs_with_each_calls_values(cast):
    update = PreparedUpdate(_activating)

    def rows(partner):
        return {
            (s.first_name, s.activated_at)
            for s in Subscriber.objects.filter(partner=partner)
        }

    moment = datetime(2099, 12, 5, 9, 30, 15, 123456, tzinfo=UTC)
    assert update.run((), cast.acme.pk, moment, "Pat", moment) == 0
    oldest = Subscriber.objects.order_by("created_at")[0].created_at
    acme = Subscriber.objects.filter(partner=cast.acme).count()
    assert update.run((), cast.acme.pk, oldest, "Pat", moment) == acme
    assert rows(cast.acme) == {("Pat", moment)}
    assert "Pat" not in {name for name, _ in rows(cast.globex)}
    # The same compiled statement with other values: another partner, another
    # moment written and compared.
    later = moment + timedelta(hours=1, microseconds=1)
    changed = update.run((), cast.globex.pk, oldest, "Lee", later)
    assert changed == Subscriber.objects.filter(partner=cast.globex).count() > 0
    assert rows(cast.globex) == {("Lee", later)}
    assert rows(cast.acme) == {("Pat", moment)}


def test_an_update_that_hides_a_value_is_refused(cast):
    moment = datetime(2026, 12, 5, tzinfo=UTC)
    shifted = PreparedUpdate(
        lambda _shape, since: (
            Subscriber.objects.filter(created_at__gte=since + timedelta(days=1)),
            {"first_name": "Pat"},
        )
    )
    with pytest.raises(ValueError, match="not a parameter as given"):
        shifted.run((), moment)
    with pytest.raises(TypeError, match="aware date-times"):
        PreparedUpdate(_activating).run(
            (), cast.acme.pk, datetime(2026, 12, 5), "Pat", moment
        )
    assert not Subscriber.objects.filter(first_name="Pat").exists()


def _among(shape, partner_id, ids):
    queryset = Subscriber.objects.filter(partner_id=partner_id)
    return queryset.filter(_IdAmong(ids)).order_by("pk")


def test_a_list_of_ids_is_one_value_of_any_length(cast):
    among = Prepared(_among)
    everyone = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True))
    acme = list(
        Subscriber.objects.filter(partner=cast.acme).values_list("pk", flat=True)
    )
    asked = [cast.gus.pk, cast.sam.pk]

    assert [s.pk for s in among.rows((), cast.acme.pk, asked)] == [cast.sam.pk]
    assert [s.pk for s in among.rows((), cast.globex.pk, asked)] == [cast.gus.pk]
    assert [s.pk for s in among.rows((), cast.acme.pk, everyone)] == sorted(acme)
    assert among.rows((), cast.acme.pk, []) == []


def test_a_list_is_refused_spread_into_the_sql_or_of_other_than_ids(cast):
    spread = Prepared(lambda _shape, ids: Subscriber.objects.filter(pk__in=ids))
    with pytest.raises(ValueError, match="not a parameter as given"):
        spread.rows((), [cast.sam.pk])
    with pytest.raises(TypeError, match="lists of ids"):
        Prepared(_among).rows((), cast.acme.pk, [str(cast.sam.pk)])


def _renaming(shape, pk, public_id):
    return Subscriber.objects.filter(pk=pk), {"public_id": public_id}


def test_a_prepared_statement_fails_as_djangos_cursor_would(cast):
    rename = PreparedUpdate(_renaming)
    with pytest.raises(IntegrityError), transaction.atomic():
        rename.run((), cast.sam.pk, cast.gus.public_id)
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            Prepared(_of_partner).rows((False,), cast.acme.pk, cast.sam.email)
        with pytest.raises(TransactionManagementError):
            rename.run((), cast.sam.pk, "renamed")
    assert Subscriber.objects.get(pk=cast.sam.pk).public_id == cast.sam.public_id


def test_an_update_with_its_values_apart_changes_what_update_would(cast, actor_of):
    text = "number,dnis,type,country_code,area_code\n"
    text += "+18005550100,8005550100,tollfree,1,800\n"
    job = preview_import(actor=actor_of(cast.alice), text=text)
    outcomes = "a" * 100_000
    one = NumberImport.objects.filter(pk=job.pk)

    changed = update_apart(
        one, added=F("added") + 3, outcomes=outcomes, problems={"7": "Bad"}
    )

    assert changed == 1
    job.refresh_from_db()
    assert (job.added, job.outcomes, job.problems) == (3, outcomes, {"7": "Bad"})
    assert update_apart(one.filter(added=0), added=F("added") + 1) == 0
    assert NumberImport.objects.get(pk=job.pk).added == 3


def test_rows_with_their_values_apart_are_the_rows_of_values_list(cast):
    queryset = (
        Subscriber.objects.filter(partner__in=[cast.acme, cast.globex])
        .order_by("pk")
        .values_list("public_id", "created_at", "partner__slug")
    )
    assert rows_apart(queryset) == list(queryset)
    assert {slug for _, _, slug in rows_apart(queryset)} == {"acme", "globex"}
    assert rows_apart(queryset.filter(pk__in=[])) == []


def test_the_api_key_query_finds_each_key_by_its_prefix(cast, actor_of):
    alice, gina = (
        create_api_key(actor=actor_of(admin), name="Ops", role="csr")
        for admin in (cast.alice, cast.gina)
    )
    assert key_from_secret(alice[1]).partner == cast.acme
    assert key_from_secret(gina[1]).partner == cast.globex
    assert key_from_secret(alice[1][:-1] + "x") is None
    assert ApiKey.objects.count() == 2


def test_the_database_url_says_when_statements_are_prepared(tmp_path):
    url = "postgresql://app@db.example:5432/csrtool"
    options = database_from_url(url, tmp_path)["OPTIONS"]
    assert options["prepare_threshold"] == 5
    options = database_from_url(url + "?prepare_threshold=none", tmp_path)["OPTIONS"]
    assert options["prepare_threshold"] is None
    options = database_from_url(url + "?prepare_threshold=2", tmp_path)["OPTIONS"]
    assert options["prepare_threshold"] == 2
    with pytest.raises(ImproperlyConfigured, match="whole number or none, not 'soon'"):
        database_from_url(url + "?prepare_threshold=soon", tmp_path)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side prepared statements"
)
def test_a_lookup_made_again_and_again_is_planned_once_on_the_server(cast, actor_of):
    bob = actor_of(cast.bob)

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%subscribers_subscriber%"],
            )
            return cursor.fetchone()[0]

    before = prepared()
    for _ in range(6):
        [sam] = lookup_for(bob, cast.sam.email).items
        assert sam.pk == cast.sam.pk
    assert prepared() == before + 1


def test_a_query_run_again_and_again_is_logged_with_its_values_each_time(cast):
    # On PostgreSQL the driver prepares it from its fifth run and keeps no
    # text of it after; the log still shows each run as it was made.
    prepared = Prepared(_of_partner)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(7):
            prepared.rows((False,), cast.acme.pk, "sam@customer.example")
    logged = [query["sql"] for query in queries]
    assert len(logged) == 7
    assert all("sam@customer.example" in (sql or "") for sql in logged), logged
