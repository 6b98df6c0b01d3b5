"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 that replays a script.

It speaks ``POST /v1/chat/completions`` as vLLM, llama.cpp's server or Ollama's ``/v1`` do,
so the real langchain-openai client (and ``bosun up`` with ``BOSUN_CHAT_BASE_URL``) talks
to it unchanged. Each request gets the next scripted completion; it records what it got.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    """Responses the fake endpoint returns in order, and the requests it received."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    """Each request as ``{"path", "body", "authorization"}``."""


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_call(name: str, **args: Any) -> dict[str, Any]:
    """A scripted reply that calls one tool."""
    return _completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{uuid.uuid4().hex[:8]}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
            ],
        },
        "tool_calls",
    )


def text(content: str) -> dict[str, Any]:
    """A scripted final reply."""
    return _completion({"role": "assistant", "content": content}, "stop")


@contextmanager
def chat_completions_server() -> Iterator[tuple[str, Script]]:
    """Serve the script on a free port; yield its base URL (ending in ``/v1``) and the script.

    A request to another path, or one the script has no reply left for, gets a 500.
    """
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append(
                {"path": self.path, "body": body, "authorization": self.headers["Authorization"]}
            )
            if self.path.rstrip("/") != "/v1/chat/completions" or not script.replies:
                self.send_response(500)
                self.end_headers()
                return
            payload = json.dumps(script.replies.pop(0)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
