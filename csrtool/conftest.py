"""The shared test cast, for every test in the project.

Partner Acme has alice (partner admin), bob (CSR) and avery (auditor); partner
Globex, the outsider, has charlie (CSR) and gina (partner admin); olivia is the
platform operator. Acme's subscriber is "sam", Globex's is "gus". Because the
outsider is always there, every test can check that nothing leaks across partners.
"""

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from csrtool.partners.access import cli_actor, staff_actor
from csrtool.partners.models import Partner, Role, User
from csrtool.subscribers.models import Subscriber
from csrtool.validation import canonical_email

PASSWORD = "correct horse battery staple"


def make_partner(slug: str, *, name: str | None = None, time_zone="America/New_York"):
    return Partner.objects.create(
        name=name or slug.title(), slug=slug, time_zone=time_zone
    )


def make_staff(email: str, *, partner=None, role=Role.CSR, full_name=""):
    user = User(
        email=email,
        email_canonical=canonical_email(email),
        partner=partner,
        role=role,
        full_name=full_name,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def make_subscriber(
    partner, *, email: str, first_name="Sam", last_name="Smith", **fields
) -> Subscriber:
    values = {
        "phone": "+12125550100",
        "time_zone": partner.time_zone,
        "billing_id": "B-1",
    }
    values.update(fields)
    return Subscriber.objects.create(
        partner=partner,
        first_name=first_name,
        last_name=last_name,
        email=email,
        email_canonical=canonical_email(email),
        **values,
    )


@pytest.fixture
def cast(db):
    acme = make_partner("acme", name="Acme Telecom")
    globex = make_partner("globex", name="Globex Voice", time_zone="Europe/London")
    return SimpleNamespace(
        acme=acme,
        globex=globex,
        alice=make_staff(
            "alice@acme.example",
            partner=acme,
            role=Role.PARTNER_ADMIN,
            full_name="Alice Admin",
        ),
        bob=make_staff(
            "bob@acme.example", partner=acme, role=Role.CSR, full_name="Bob CSR"
        ),
        avery=make_staff(
            "avery@acme.example",
            partner=acme,
            role=Role.AUDITOR,
            full_name="Avery Auditor",
        ),
        charlie=make_staff(
            "charlie@globex.example",
            partner=globex,
            role=Role.CSR,
            full_name="Charlie Outsider",
        ),
        gina=make_staff(
            "gina@globex.example",
            partner=globex,
            role=Role.PARTNER_ADMIN,
            full_name="Gina Globex",
        ),
        olivia=make_staff(
            "olivia@platform.example", role=Role.OPERATOR, full_name="Olivia Operator"
        ),
        sam=make_subscriber(
            acme,
            email="sam@customer.example",
            first_name="Sam",
            last_name="Sample",
            billing_id="ACME-100",
        ),
        gus=make_subscriber(
            globex,
            email="gus@other.example",
            first_name="Gus",
            last_name="Globe",
            phone="+442079460000",
            time_zone="Europe/London",
            billing_id="GLX-200",
        ),
    )


def migrate_to(targets):
    """Migrate the test database to `targets`; the apps as they stand there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_schema_after():
    """For a test that migrates backwards: every migration applied again after."""
    yield
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture
def client_for():
    """A logged-in test client for a member of staff."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def actor_of():
    def make(user, **kwargs):
        return staff_actor(user, **kwargs)

    return make


@pytest.fixture
def cli():
    return cli_actor()


# Browser tests: Debian's Chromium driven by Playwright, axe-core for accessibility.

CHROMIUM = os.environ.get("CSRTOOL_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(
    os.environ.get(
        "CSRTOOL_AXE_JS",
        Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js",
    )
)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # made by the test itself (to check rows) are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # Partners' own portal hosts (test_browser_portal_hosts.py) are names
            # under .example served by the live server on this machine.
            "--host-resolver-rules=MAP *.example 127.0.0.1",
        ],
    )
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core not found at {AXE_JS}: run scripts/test, or set CSRTOOL_AXE_JS"
        )
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(path=str(AXE_JS))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app holding `secret` (base32, as shown on the page
    or kept by django-otp) shows now, or `steps_ahead` 30-second steps later."""
    import time

    import pyotp

    return pyotp.TOTP(secret.replace(" ", "")).at(time.time() + 30 * steps_ahead)


def unused_code(device) -> str:
    """A code of the device's app that the server has not seen yet: a used one
    is refused as a replay, so after one within the same 30 seconds the app's
    next one (the server takes one step of clock drift either way)."""
    import time
    from base64 import b32encode

    import pyotp

    device.refresh_from_db()
    step = max(int(time.time()) // 30, device.last_t + 1)
    return pyotp.TOTP(b32encode(device.bin_key).decode()).at(step * 30)


def give_authenticator(user) -> str:
    """Set up an authenticator app for `user`, as if they had; its secret."""
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="authenticator app")
    return b32encode(device.bin_key).decode()


def browser_login(page, user, password=PASSWORD):
    """Sign in as `user`; with the code of their authenticator app when asked
    (a member who must have one and has none is given one first)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from csrtool.partners import second_factor

    if second_factor.required(user) and not second_factor.enrolled(user):
        give_authenticator(user)
    page.goto("/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url or "second-factor" in url)
    if "/login/second-factor/" in page.url:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        page.get_by_label("Code").fill(unused_code(device))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)


AXE_RUN = """async () => {
    if (document.readyState !== "complete") {
        await new Promise((done) => addEventListener("load", done, {once: true}));
    }
    return await axe.run(document, {runOnly: {type: "tag", values:
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}});
}"""


def assert_accessible(page):
    """Fail on any serious or critical WCAG 2.2 A/AA violation axe-core finds.

    axe runs on a settled document: after the page's load event, and again from
    the start when a navigation (a script following a job, a redirect) replaced
    the document while axe was reading it.
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            result = page.evaluate(AXE_RUN)
            break
        except PlaywrightError as error:
            navigated = "destroyed" in str(error) or "documentElement" in str(error)
            if not navigated or attempt == 2:
                raise
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"Accessibility violations on {page.url}:\n" + "\n".join(bad)


@pytest.fixture
def api_client_for():
    """A test client sending a fresh API key of `partner` with `role` on every call.

    Usage: api = api_client_for(cast.acme); api.get("/api/v1/subscribers")
    """

    def make(partner, role=Role.CSR) -> Client:
        from csrtool.api.services import create_api_key

        _, secret = create_api_key(
            actor=cli_actor(), partner=partner, name=f"test {role}", role=role
        )
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


# Email: a real SMTP server on loopback, and the worker run to completion.


class SMTPRecorder:
    """An aiosmtpd handler that keeps every message it accepts.

    `refuse_with` (e.g. "451 4.3.0 Try later") makes it answer DATA with an error;
    `refuse_rcpt` maps an address to the answer RCPT TO gives it instead of 250;
    `stop()` and `start()` take the server down and bring it back on the same port;
    `hold` (an Event) keeps a client waiting at DATA and sets `holding`.
    """

    def __init__(self, port: int):
        self.port = port
        self.messages: list = []
        self.envelopes: list = []
        self.refuse_with: str | None = None
        self.refuse_rcpt: dict[str, str] = {}
        self.hold = None  # a threading.Event: DATA waits until it is set
        self.holding = threading.Event()
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        import email
        import email.policy

        if self.hold is not None:
            # Keep the client waiting for the server's answer (mid-delivery).
            self.holding.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Delivery was not completed"
        if self.refuse_with:
            return self.refuse_with
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtpd(settings):
    """A loopback SMTP server; the app's email settings point at it."""
    recorder = SMTPRecorder(free_port())
    recorder.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = recorder.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield recorder
    recorder.stop()


def run_jobs() -> None:
    """Run every background job that is due now (the worker in batch mode)."""
    from unittest import mock

    from django.core.management import call_command

    # The worker closes stale connections between jobs, as a request would; in a
    # test that would close the connection holding the test's transaction.
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections"
    ):
        call_command("worker", "--batch")
