"""
A fake Sailthru REST API for tests: an HTTP server on 127.0.0.1 that responds to ``POST /send``.

It checks each request's signature the way Sailthru does (the MD5 hex digest of the
secret followed by the sorted values of every other form field), records every request,
and replays the responses a test queued: an error code, a status, headers, a non-JSON
body, a delay. With no response queued, a correctly signed send is accepted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.smtp_server import free_port


@dataclass
class Answer:
    """One scripted HTTP response: status, headers, body, and a delay before it is written."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: True closes the connection after reading the request, without writing a response.
    drop: bool = False


@dataclass
class SendRequest:
    """One request the server received, with its form fields and the decoded ``json`` field."""

    path: str
    form: dict[str, str]
    signature_valid: bool
    payload: dict[str, Any] | None


def signature(secret: str, form: dict[str, str]) -> str:
    """Return the Sailthru signature of a request's form fields (``sig`` excluded)."""
    values = sorted(value for name, value in form.items() if name != "sig")
    return hashlib.md5((secret + "".join(values)).encode("utf-8")).hexdigest()


def json_answer(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0
) -> Answer:
    """Return a response whose body is ``body`` in JSON."""
    return Answer(status=status, body=json.dumps(body).encode("utf-8"), headers=headers or {}, delay=delay)


def error_answer(code: Any, text: str, status: int = 400, headers: dict[str, str] | None = None) -> Answer:
    """Return a Sailthru error response: ``{"error": code, "errormsg": text}``."""
    return json_answer({"error": code, "errormsg": text}, status=status, headers=headers)


class SailthruServer:
    """A running fake Sailthru API; point ``ACE_CHANNEL_SAILTHRU_API_URL`` at ``url``."""

    def __init__(self, api_key: str, api_secret: str):
        self.api_key = api_key
        self.api_secret = api_secret
        self.lock = threading.Lock()
        self.requests: list[SendRequest] = []
        self.answers: deque[Answer] = deque()
        self.accepted: list[dict[str, Any]] = []
        self.host = "127.0.0.1"
        self.port = free_port()
        self.httpd = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        # A delayed response may still be sleeping when the test ends; its thread must not
        # keep stop() waiting.
        self.httpd.daemon_threads = True
        # A short poll interval lets stop() return quickly: shutdown() waits for one poll.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sailthru", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SailthruServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def answer(self, *answers: Answer) -> None:
        """Queue responses for the next correctly signed sends, in order."""
        with self.lock:
            self.answers.extend(answers)

    def handle(self, path: str, raw_body: bytes) -> Answer:
        """Record a request and return the response to write."""
        form = {name: values[0] for name, values in parse_qs(raw_body.decode("utf-8"), keep_blank_values=True).items()}
        signature_valid = form.get("api_key") == self.api_key and form.get("sig") == signature(self.api_secret, form)
        try:
            payload = json.loads(form.get("json", ""))
        except ValueError:
            payload = None

        with self.lock:
            self.requests.append(SendRequest(path, form, signature_valid, payload))
            if path != "/send":
                return error_answer(3, f"Unsupported API call: {path}", status=404)
            if not signature_valid:
                return error_answer(5, "Authentication failed", status=401)
            if self.answers:
                return self.answers.popleft()
            self.accepted.append(payload or {})
            send_id = f"fake-send-{len(self.accepted)}"
        return json_answer({"send_id": send_id, "email": (payload or {}).get("email"), "status": "unknown"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                answer = server.handle(self.path, self.rfile.read(length))
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    return
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up waiting, as in the time-out tests.
                    pass

            def log_message(self, format, *args):
                # Requests are recorded in server.requests; stderr stays quiet.
                pass

        return Handler
