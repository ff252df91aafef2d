"""A real OpenID provider for the tests: node's oidc-provider (provider.mjs), run
on a free loopback port, and a user agent that signs in on its pages."""

import json
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "csrtool"
CLIENT_SECRET = "csrtool-secret"


class OpenIDProvider:
    """One provider process; `accounts` (login → claims) can change any time."""

    def __init__(self, *, port: int, redirect_uris, post_logout_uris, mode=""):
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        self._file = Path(tempfile.mkstemp(suffix=".json")[1])
        self.accounts: dict[str, dict] = {}
        self.save()
        self._process = subprocess.Popen(
            [
                "node",
                str(HERE / "provider.mjs"),
                str(port),
                str(self._file),
                ",".join(redirect_uris),
                ",".join(post_logout_uris),
                mode,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self._process.stdout.readline()
        if not line.startswith("ready"):
            self.stop()
            raise RuntimeError("The OpenID provider did not start.")

    def set_account(self, login: str, **claims) -> None:
        self.accounts[login] = claims
        self.save()

    def save(self) -> None:
        self._file.write_text(json.dumps(self.accounts))

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._file.unlink(missing_ok=True)


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": {}})
        elif tag in ("input", "button") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value", ""))


class ProviderUserAgent:
    """What a browser does at the provider: follow redirects, fill its login
    form with `login`, until the provider sends the browser back to us."""

    def __init__(self):
        self.session = requests.Session()

    def sign_in(self, url: str, *, login: str, back_to: str) -> str:
        """The address (on our side) the provider sends the browser back to."""
        response = self.session.get(url, allow_redirects=False, timeout=10)
        for _ in range(20):
            if response.is_redirect:
                url = urljoin(response.url, response.headers["Location"])
                if url.startswith(back_to):
                    return url
                response = self.session.get(url, allow_redirects=False, timeout=10)
                continue
            parser = _Forms()
            parser.feed(response.text)
            if not parser.forms:
                raise AssertionError(f"Provider page without a form: {response.text}")
            form = parser.forms[0]
            fields = dict(form["fields"])
            if "login" in fields or re.search(r'name="login"', response.text):
                fields.update(login=login, password="any")
            fields.pop("abort", None)
            response = self.session.post(
                urljoin(response.url, form["action"]),
                data=fields,
                allow_redirects=False,
                timeout=10,
            )
        raise AssertionError("The provider never sent the browser back.")
