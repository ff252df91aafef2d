"""What the product's doors answer, for tests that compare answers: a page and
the queries it took, what its tables say, a command through both ways it can be
run."""

import contextlib
import io
import re
from html import unescape
from unittest import mock

from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from csrtool.cli import main


def page_and_queries(client, path: str, params=None) -> tuple[str, int]:
    """A page's HTML and how many database queries it took to answer."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(queries)


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def table_rows(response) -> list[str]:
    """Each row of the page's tables, cells joined by " | "."""
    return [
        " | ".join(
            words(cell) for cell in re.findall(r"(?s)<t[hd][^>]*>(.*?)</t[hd]>", row)
        )
        for body in re.findall(r"(?s)<tbody>(.*?)</tbody>", response.content.decode())
        for row in re.findall(r"(?s)<tr>(.*?)</tr>", body)
    ]


# The command line: what a script or a person at a terminal gets back.

UNKNOWN_SUBSCRIBER_ID = "00000000-00-00000000000-00000000-000"


def command_answers(*args: str) -> dict:
    """How `csrtool ARGS` answers, through both doors a command has.

    `call_command` (what scripts embedding Django use): the CommandError's message
    and exit status, or 0 and the output. The console script `csrtool.cli:main` (what
    `csrtool ...` and `python -m csrtool ...` run): exit status, stdout and stderr.
    Both run in this process, so they see the test's database.
    """
    answers = {}
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=out)
        answers["call_command"] = (0, out.getvalue())
    except CommandError as error:
        answers["call_command"] = (error.returncode, str(error), out.getvalue())
    stdout, stderr = io.StringIO(), io.StringIO()
    # A command closes its database connections as it exits; in a test that would
    # end the test's transaction.
    with (
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        mock.patch.object(connections, "close_all"),
    ):
        try:
            main(["csrtool", *args])
            status = 0
        except SystemExit as ended:
            status = ended.code or 0
    answers["console_script"] = (status, stdout.getvalue(), stderr.getvalue())
    return answers


def assert_cli_answers_alike(args, *, foreign: str, unknown: str) -> dict:
    """`csrtool ARGS` ("{}" stands for the ID) for another partner's ID and for an
    ID nobody has: a refusal, the same byte for byte through both doors once the ID
    itself is masked. Returns that answer."""

    def answers(value: str) -> dict:
        found = command_answers(*(arg.replace("{}", value) for arg in args))
        return {
            door: tuple(
                part.replace(value, "<id>") if isinstance(part, str) else part
                for part in answer
            )
            for door, answer in found.items()
        }

    seen_foreign, seen_unknown = answers(foreign), answers(unknown)
    assert seen_foreign == seen_unknown
    assert seen_foreign["call_command"][0] == 1, seen_foreign
    assert seen_foreign["console_script"][0] == 1, seen_foreign
    return seen_foreign
