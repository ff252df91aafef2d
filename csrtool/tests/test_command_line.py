"""The `csrtool` console script as a newcomer runs it, in a fresh data directory."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def run(*args, env=None, timeout=120, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "csrtool", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        **kwargs,
    )


@pytest.fixture
def fresh_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSRTOOL_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["CSRTOOL_DATA_DIR"] = str(tmp_path / "data")
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_refuses_to_start_without_a_secret_key(fresh_env):
    result = run("serve", env=fresh_env)
    assert result.returncode == 2
    assert "CSRTOOL_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_settings_are_refused_with_a_clear_message(fresh_env):
    result = run("check", env={**fresh_env, "CSRTOOL_DEBUG": "maybe"})
    assert result.returncode == 2
    assert "CSRTOOL_DEBUG must be true or false, not 'maybe'" in result.stderr


def test_demo_sets_up_a_partner_and_prints_the_logins(fresh_env):
    result = run("demo", "--no-serve", "--port", "8123", env=fresh_env)
    assert result.returncode == 0, result.stderr
    assert "csrtool demo is ready at http://127.0.0.1:8123/" in result.stdout
    assert "csr@demo.example  password: demo-" in result.stdout
    assert "slug demo (commands take --partner demo)" in result.stdout
    # A second run keeps the data and gives fresh passwords.
    again = run("demo", "--no-serve", "--port", "8123", env=fresh_env)
    assert again.returncode == 0


def test_the_demo_draws_another_password_where_the_validators_refuse_one(
    monkeypatch,
):
    from csrtool.management.commands import demo

    drawn = iter(["csr@demo.exa", "Zq81kLp0Vw3R"])
    monkeypatch.setattr(demo.secrets, "token_urlsafe", lambda n: next(drawn))
    # "demo-csr@demo.exa" is too like the address for the similarity check.
    assert demo.demo_password("csr@demo.example", "Chris CSR") == "demo-Zq81kLp0Vw3R"


def test_after_the_demo_commands_reach_its_database_with_no_variable(fresh_env):
    assert run("demo", "--no-serve", "--port", "8123", env=fresh_env).returncode == 0
    added = run(
        "subscribers",
        "add",
        "--partner",
        "demo",
        "--first-name",
        "Ann",
        "--last-name",
        "Able",
        "--email",
        "ann@customer.example",
        "--phone",
        "+12125550142",
        "--billing-id",
        "B-1",
        env=fresh_env,
    )
    assert added.returncode == 0, added.stderr
    listing = run("subscribers", "find", "ann@customer.example", env=fresh_env)
    assert listing.returncode == 0, listing.stderr
    assert "Ann Able <ann@customer.example>" in listing.stdout
    # The welcome email's link points where the demo serves, not at a default.
    outbox = Path(fresh_env["CSRTOOL_DATA_DIR"]) / "outbox"
    run("worker", "--batch", env=fresh_env)
    (mail,) = outbox.glob("*.eml")
    assert "http://127.0.0.1:8123/welcome/" in mail.read_text().replace("=\n", "")
    # Another database is not the demo's: the secret key is required again.
    elsewhere = run(
        "subscribers",
        "find",
        "ann",
        env={**fresh_env, "CSRTOOL_DATABASE_URL": "sqlite:///" + str(outbox / "x")},
    )
    assert elsewhere.returncode == 2
    assert "CSRTOOL_SECRET_KEY is not set" in elsewhere.stderr


def test_help_lists_csrtools_own_commands_grouped(fresh_env):
    before_demo = run("--help", env=fresh_env)
    assert before_demo.returncode == 0
    assert before_demo.stdout.startswith("Usage: csrtool COMMAND [options]")
    assert "\nEnterprise accounts:\n  subscribers" in before_demo.stdout
    assert "dbshell" not in before_demo.stdout
    assert run("demo", "--no-serve", env=fresh_env).returncode == 0
    result = run("--help", env=fresh_env)
    lines = result.stdout.splitlines()
    assert lines.index("Start:") < lines.index("Enterprise accounts:")
    assert any(
        line.startswith("  subscribers ") and "Enterprise accounts: add" in line
        for line in lines
    )
    assert all(len(line) <= 88 for line in lines)
    assert "dbshell" not in result.stdout and "squashmigrations" not in result.stdout
    everything = run("help", "--all", env=fresh_env)
    assert "dbshell" in everything.stdout and "[csrtool]" in everything.stdout


def test_serve_migrates_and_answers_on_its_port(fresh_env):
    port = free_port()
    env = {
        **fresh_env,
        "CSRTOOL_SECRET_KEY": "s" * 50,
        "CSRTOOL_BASE_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "csrtool",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(  # noqa: S310
                    f"http://127.0.0.1:{port}/login/", timeout=2
                ) as response:
                    body = response.read().decode()
            except OSError:
                time.sleep(0.5)
        assert body is not None, "the server never answered"
        assert "CSR Tool sign in" in body
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_python_dash_m_and_any_django_command_work(fresh_env):
    result = run("check", env={**fresh_env, "CSRTOOL_DEBUG": "true"})
    assert result.returncode == 0
    assert "System check identified no issues" in result.stdout


def test_it_refuses_a_bounce_address_that_is_not_one_address(fresh_env):
    env = {
        **fresh_env,
        "CSRTOOL_SECRET_KEY": "x" * 50,
        "CSRTOOL_EMAIL_BOUNCE_ADDRESS": "bounces at mail.example",
    }
    result = run("check", env=env)
    assert result.returncode != 0
    assert "CSRTOOL_EMAIL_BOUNCE_ADDRESS must be one address" in result.stderr
    env["CSRTOOL_EMAIL_BOUNCE_ADDRESS"] = "bounces@mail.example"
    assert run("check", env=env).returncode == 0
