"""The receiver the README shows verifies a real delivery and spots a forgery."""

import contextlib
import io
import re
from pathlib import Path

import pytest

from csrtool.conftest import run_jobs
from csrtool.numberpool.services import add_number, assign_number
from csrtool.partners.access import staff_actor
from csrtool.webhooks import services

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_receiver(secret: str) -> dict:
    text = README.read_text()
    section = text[text.index("## Events and webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code.replace('"whsec_..."', repr(secret)), namespace)  # noqa: S102
    return namespace


def test_the_readme_receiver_accepts_a_delivery_once_and_refuses_a_forgery(
    cast, receiver
):
    alice = staff_actor(cast.alice)
    _, secret = services.create_endpoint(
        actor=alice, url=receiver.url, event_types=["number.assigned"]
    )
    add_number(
        actor=alice,
        number="+12125550199",
        dnis="2125550199",
        number_type="local",
        country_code="1",
    )
    assign_number(actor=alice, number="2125550199", subscriber_id=cast.sam.public_id)
    run_jobs()
    [(headers, body)] = receiver.requests
    receive = readme_receiver(secret)["receive"]

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        receive(headers, body)
        receive(headers, body)  # a repeat is skipped
    assert out.getvalue() == f"2125550199 now belongs to {cast.sam.public_id}\n"
    with pytest.raises(ValueError, match="not signed"):
        receive(headers, body.replace(b"2125550199", b"2125550100"))
    with pytest.raises(ValueError, match="not signed"):
        readme_receiver("whsec_" + "A" * 44)["receive"](headers, body)
