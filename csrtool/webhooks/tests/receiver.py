"""A partner's webhook receiver for the tests: a real HTTP server on loopback,
and a signature check written from the Standard Webhooks specification (not
csrtool's signing code)."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE = 5 * 60


def verify(secret: str, headers, body: bytes, *, now=None) -> dict:
    """The payload when one of the signatures matches `secret`; ValueError if not.

    Spec: signed content is "{webhook-id}.{webhook-timestamp}.{body}"; the key is
    the base64 part of "whsec_…"; the signature header lists space-separated
    "v1,<base64 HMAC-SHA256>" entries; reject timestamps far from now."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE:
        raise ValueError("timestamp out of tolerance")
    key = base64.b64decode(secret.split("_", 1)[1])
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    for entry in headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return json.loads(body)
    raise ValueError("no matching signature")


class Receiver:
    """Records each POST; answers with `answers` in turn (then 200); `delay`
    seconds of silence before answering."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.answers: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((headers, body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                reply = f"status {status}".encode()
                self.send_response(status)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender that gave up waiting is what some tests want

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.requests]

    def payloads(self, secret: str) -> list[dict]:
        return [verify(secret, headers, body) for headers, body in self.requests]
