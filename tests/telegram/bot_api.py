"""A local server that speaks the Telegram Bot API, for driving python-telegram-bot offline.

It answers the methods the bot uses (getMe, getUpdates with offset and long-poll timeout,
sendMessage, editMessageReplyMarkup / editMessageText, answerCallbackQuery, getFile and the
file download path, setWebhook / deleteWebhook, sendChatAction), records every call, and
lets a test queue updates as Telegram would deliver them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.waiting import wait_until

JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "entities",
}


class FakeBotApi:
    """The Bot API on 127.0.0.1 for one bot token."""

    def __init__(self, token: str = "123456:TEST-token", username: str = "bosun_test_bot") -> None:
        self.token = token
        self.bot_user = {
            "id": 7_000_001,
            "is_bot": True,
            "first_name": "Bosun",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: dict[int, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self._updates: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(9001)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.held: dict[str, threading.Event] = {}
        """Methods that answer only once their event is set (a slow link to Telegram)."""

    # --- control from tests -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give as BOSUN_TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        server = self._server
        wait_until(lambda: server.started, timeout=10, what="the fake Bot API serving")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; return its update_id."""
        with self._lock:
            update = {"update_id": next(self._ids), **update}
            self._updates.append(update)
            return int(update["update_id"])

    def next_update_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def add_file(self, data: bytes, path: str) -> str:
        """Keep a file for getFile and download; return its file_id."""
        file_id = f"file-{len(self.files) + 1}-{path.replace('/', '-')}"
        self.files[file_id] = (path, data)
        return file_id

    def calls_of(
        self, method: str, where: Callable[[dict[str, Any]], bool] = lambda p: True
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == method and where(p)]

    def wait_for(
        self,
        method: str,
        where: Callable[[dict[str, Any]], bool] = lambda p: True,
        *,
        count: int = 1,
        timeout: float = 60.0,
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` calls of ``method`` matching ``where`` were made."""

        def found() -> list[dict[str, Any]] | None:
            calls = self.calls_of(method, where)
            return calls if len(calls) >= count else None

        return wait_until(
            found,
            timeout=timeout,
            what=lambda: f"{count} {method} call(s); calls: {[m for m, _ in self.calls][-30:]}",
        )

    # --- update builders ----------------------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str = "Crew") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    @staticmethod
    def chat(chat_id: int, user: dict[str, Any] | None = None) -> dict[str, Any]:
        if chat_id > 0 and user is not None:
            return {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        return {"id": chat_id, "type": "supergroup", "title": "Engine room"}

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Return a ``message`` update body (commands and mentions get their entities)."""
        user = self.user(user_id)
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id or user_id, user),
            "from": user,
            **extra,
        }
        if text is not None:
            body["text"] = text
            entities = []
            if text.startswith("/"):
                entities.append(
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                )
            handle = f"@{self.bot_user['username']}"
            if handle in text:
                entities.append(
                    {"type": "mention", "offset": text.index(handle), "length": len(handle)}
                )
            if entities:
                body["entities"] = entities
        return {"message": body}

    def press(self, user_id: int, sent: dict[str, Any], data: str) -> dict[str, Any]:
        """Return a ``callback_query`` update: ``user_id`` pressed a button of ``sent``."""
        return {
            "callback_query": {
                "id": f"cq-{next(self._message_ids)}",
                "from": self.user(user_id),
                "chat_instance": "42",
                "data": data,
                "message": sent,
            }
        }

    # --- the Bot API ----------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        kind = request.headers.get("content-type", "")
        if "json" in kind:
            body = await request.body()
            params.update(json.loads(body) if body else {})
        elif "form" in kind:
            form = await request.form()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else await value.read()
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def _method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        method = request.path_params["method"]
        params = await self._params(request)
        if method != "getUpdates":
            with self._lock:
                self.calls.append((method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status_code=404,
            )
        gate = self.held.get(method)
        if gate is not None:
            await asyncio.to_thread(gate.wait, 60)
        result = await handler(params)
        if isinstance(result, Response):
            return result
        return JSONResponse({"ok": True, "result": result})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates[:limit])
            if ready or time.monotonic() >= deadline:
                with self._lock:
                    self.calls.append(("getUpdates", {**params, "returned": len(ready)}))
                return ready
            await asyncio.sleep(0.05)  # Telegram's long poll: look at the queue again

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, self.user(chat_id)),
            "from": self.bot_user,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        with self._lock:
            self.sent[message["message_id"]] = message
        params["result"] = message
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        with self._lock:
            message = self.sent.get(int(params.get("message_id") or 0))
        if message is None:
            return True
        message["reply_markup"] = params.get("reply_markup") or {"inline_keyboard": []}
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        with self._lock:
            message = self.sent.get(int(params.get("message_id") or 0))
        if message is None:
            return True
        message["text"] = params["text"]
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                status_code=400,
            )
        path, data = found
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{abs(hash(params['file_id'])) % 10**8}",
            "file_size": len(data),
            "file_path": path,
        }

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        with self._lock:
            self.calls.append(("download", {"path": request.path_params["path"]}))
        for path, data in self.files.values():
            if path == request.path_params["path"]:
                return Response(data, media_type="application/octet-stream")
        return Response(status_code=404)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (lifespan on); yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), timeout=30, what="the app serving")
    if not server.started:
        raise RuntimeError("the app did not start")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
