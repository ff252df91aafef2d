"""The `csrtool` console script as a newcomer runs it, in a fresh data directory."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

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
    result = run("demo", "--no-serve", env=fresh_env)
    assert result.returncode == 0, result.stderr
    assert "csrtool demo is ready at http://127.0.0.1:8000/" in result.stdout
    assert "csr@demo.example  password: demo-" in result.stdout
    # A second run keeps the data and gives fresh passwords.
    again = run("demo", "--no-serve", env=fresh_env)
    assert again.returncode == 0
    listing = run("subscribers", "find", "x", env={**fresh_env, "CSRTOOL_DEMO": "true"})
    assert listing.returncode == 0


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
