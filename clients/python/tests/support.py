"""Test support: puts the package on sys.path and serves scripted HTTP answers from a thread."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

# The tests run from anywhere (`python3 -m unittest discover -s clients/python/tests`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Recorded:
    """One request the stub received."""

    def __init__(self, method: str, path: str, headers: dict, body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class StubServer:
    """A local HTTP server answering from a script: ``answer(method, path, status, body, headers)``
    queues one answer for that route (answers are used in order; the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._answers: dict[tuple[str, str], list[tuple[int, Any, dict]]] = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                queue = stub._answers.get((self.command, self.path)) or [(404, {"error": {"code": "not_found", "message": "no stub"}}, {})]
                status, payload, headers = queue.pop(0) if len(queue) > 1 else queue[0]
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, method: str, path: str, status: int, body: Any = None, headers: Optional[dict] = None) -> None:
        self._answers.setdefault((method, path), []).append((status, {} if body is None else body, headers or {}))

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
