"""Nothing answers differently for an address or partner that exists: not the words,
not the work done while the visitor waits.

Timing is not measured here (speed belongs to bench/): the requests for a known and
an unknown address must run the same database statements and queue the same job,
which is what makes their timing alike.
"""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from csrtool.conftest import run_jobs
from csrtool.onboarding.models import OutboundEmail
from csrtool.portal.tests.conftest import activate
from csrtool.subscribers.services import create_subscriber

pytestmark = pytest.mark.django_db


def statement_shapes(queries) -> list[str]:
    """The SQL of each statement with its values blanked out."""
    shapes = []
    for query in queries:
        sql = re.sub(r"'(?:[^']|'')*'", "?", query["sql"])
        sql = re.sub(r'"s\d+_x\d+"', "?", sql)
        shapes.append(re.sub(r"\b\d+(\.\d+)?\b", "?", sql))
    return shapes


def post_and_capture(path, email, ip):
    client = Client(REMOTE_ADDR=ip)
    client.get(path)
    jobs_before = set(DBTaskResult.objects.values_list("id", flat=True))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, {"email": email})
    jobs = DBTaskResult.objects.exclude(id__in=jobs_before)
    return (
        response,
        statement_shapes(captured.captured_queries),
        [job.task_path for job in jobs],
    )


def test_a_new_welcome_link_costs_the_same_for_a_known_and_an_unknown_address(cast):
    known = post_and_capture("/welcome/new-link/", cast.sam.email, "198.51.100.1")
    unknown = post_and_capture("/welcome/new-link/", "nobody@x.example", "198.51.100.2")
    assert known[0].status_code == unknown[0].status_code == 200
    assert known[1] == unknown[1], "the same statements, whoever asks"
    assert (
        known[2] == unknown[2] == ["csrtool.onboarding.tasks.answer_new_link_request"]
    )
    run_jobs()
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 1
    assert OutboundEmail.objects.count() == 1


def test_a_reset_link_costs_the_same_for_a_known_and_an_unknown_address(cast):
    activate(cast.sam)
    path = "/portal/forgot-password/"
    known = post_and_capture(path, cast.sam.email, "198.51.100.1")
    unknown = post_and_capture(path, "nobody@x.example", "198.51.100.2")
    assert known[0].status_code == unknown[0].status_code == 200
    assert known[1] == unknown[1], "the same statements, whoever asks"
    assert known[2] == unknown[2] == ["csrtool.portal.tasks.answer_reset_request"]
    run_jobs()
    [email] = OutboundEmail.objects.all()
    assert email.subscriber == cast.sam and email.kind == "password_reset"


def test_a_taken_email_says_only_that_it_is_in_use(cast, actor_of):
    from csrtool.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        create_subscriber(
            actor=actor_of(cast.charlie),
            first_name="Sam",
            last_name="Again",
            email=cast.sam.email,
            phone="+442079460001",
            billing_id="GLX-9",
        )
    assert caught.value.errors["email"] == ["This email address is already in use."]


def cli_error(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args)
    return str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        ("apikeys", "list"),
        ("apikeys", "create", "--name", "Probe"),
        ("subscribers", "add", "--first-name", "A", "--last-name", "B")
        + ("--email", "ab@x.example", "--phone", "+12125550111", "--billing-id", "X"),
        ("createstaff", "--email", "new@x.example", "--role", "csr"),
    ],
)
def test_the_cli_answers_another_partners_slug_like_an_unknown_one(cast, command):
    name, *rest = command
    if rest and not rest[0].startswith("-"):
        head, tail = [name, rest[0]], rest[1:]
    else:
        head, tail = [name], rest
    acting = ["--as", cast.alice.email]
    foreign = cli_error(*head, *tail, *acting, "--partner", "globex")
    unknown = cli_error(*head, *tail, *acting, "--partner", "nosuchslug")
    assert foreign == unknown.replace("nosuchslug", "globex")
    assert "No partner has the slug" in foreign
