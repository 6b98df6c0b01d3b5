"""A local server that speaks the parts of Slack's Web API (and Socket Mode) Bosun uses."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.sync.server import Server, ServerConnection, serve

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0BOSUN"
BOT_USER = "UBOSUNBOT"


def sign(body: str, *, secret: str = SIGNING_SECRET, ts: int | None = None) -> dict[str, str]:
    """Return the headers Slack sends: ``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``."""
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    """Slack's Web API on 127.0.0.1: auth.test, chat.*, users.info, files.*, Socket Mode."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    missing_channels: set[str] = field(default_factory=set)
    held: dict[str, threading.Event] = field(default_factory=dict)
    """Methods (or ``response_url``) answered only once their event is set."""

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self.api_url = f"{self.url}/api/"
        self._ws: Server | None = None
        self.socket_acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self._sockets: queue.Queue[ServerConnection] = queue.Queue()

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeSlack:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        if self._ws is not None:
            self._ws.shutdown()

    # --- what tests look at --------------------------------------------------------------

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def matching(self, method: str, where: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and where(c)]

    def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] = lambda c: True,
        *,
        count: int = 1,
        timeout: float = 30.0,
    ) -> list[Call]:
        """Wait until ``count`` matching calls arrived; return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and where(c)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.params.get("channel")) for c in self.calls[-10:]]
                    raise AssertionError(f"no {count} x {method} within {timeout}s; last: {seen}")
                self._lock.wait(left)

    def next_ts(self) -> str:
        return f"1700000100.{next(self._ts):06d}"

    # --- Socket Mode ---------------------------------------------------------------------

    def socket_url(self) -> str:
        if self._ws is None:
            self._ws = serve(self._on_socket, "127.0.0.1", 0)
            threading.Thread(target=self._ws.serve_forever, daemon=True).start()
        port = self._ws.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test"

    def _on_socket(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        self._sockets.put(connection)
        for message in connection:
            data = json.loads(message)
            if "envelope_id" in data:
                self.socket_acks.put(data)

    def push(self, envelope: dict[str, Any], *, timeout: float = 20.0) -> None:
        """Send an envelope to the connected Socket Mode client."""
        connection = self._sockets.get(timeout=timeout)
        self._sockets.put(connection)
        connection.send(json.dumps(envelope))


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            params: dict[str, Any] = dict(parse_qsl(parts.query))
            kind = self.headers.get("Content-Type", "")
            if raw and kind.startswith("application/json"):
                params.update(json.loads(raw))
            elif raw:
                params.update(parse_qsl(raw.decode()))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if parts.path.startswith("/files/"):
                self._file(parts.path.split("/")[2], headers)
                return
            method = "response_url" if parts.path.startswith("/respond/") else ""
            method = method or parts.path.removeprefix("/api/")
            gate = fake.held.get(method)
            if gate is not None:
                gate.wait(30)
            if parts.path.startswith("/respond/"):
                fake.record(
                    Call("response_url", params, {**headers, "x-url": fake.url + parts.path})
                )
                self._send(200, b"ok", "text/plain")
                return
            answer = self._answer(method, params, headers.get("authorization", ""))
            fake.record(Call(method, params, headers, answer))
            self._json(answer)

        def _answer(self, method: str, params: dict[str, Any], auth: str) -> dict[str, Any]:
            if method == "apps.connections.open":
                if auth != f"Bearer {APP_TOKEN}":
                    return {"ok": False, "error": "invalid_auth"}
                return {"ok": True, "url": fake.socket_url()}
            if auth != f"Bearer {BOT_TOKEN}":
                return {"ok": False, "error": "invalid_auth"}
            if method == "auth.test":
                return {
                    "ok": True,
                    "url": "https://bosun-test.slack.com/",
                    "team": "Bosun test",
                    "user": "bosun",
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "bot_id": "BBOSUN",
                    "is_enterprise_install": False,
                }
            if method in ("chat.postMessage", "chat.update"):
                channel = str(params.get("channel"))
                if channel in fake.missing_channels:
                    return {"ok": False, "error": "channel_not_found"}
                ts = params.get("ts") or fake.next_ts()
                return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}
            if method == "users.info":
                user = fake.users.get(str(params.get("user")))
                return (
                    {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
                )
            if method == "files.info":
                found = fake.files.get(str(params.get("file")))
                return (
                    {"ok": True, "file": found[0]}
                    if found
                    else {"ok": False, "error": "file_not_found"}
                )
            return {"ok": False, "error": "unknown_method"}

        def _file(self, file_id: str, headers: dict[str, str]) -> None:
            fake.record(Call("download", {"file": file_id}, headers))
            found = fake.files.get(file_id)
            if headers.get("authorization") != f"Bearer {BOT_TOKEN}":
                self._send(200, b"<html>sign in</html>", "text/html")  # as Slack does
            elif found is None:
                self._send(404, b"", "text/plain")
            else:
                self._send(200, found[1], str(found[0]["mimetype"]))

        def _json(self, body: dict[str, Any]) -> None:
            self._send(200, json.dumps(body).encode(), "application/json; charset=utf-8")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
