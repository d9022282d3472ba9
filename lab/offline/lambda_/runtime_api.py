"""One execution environment's Lambda Runtime API, on a loopback port of its own.

awslambdaric finds it through `AWS_LAMBDA_RUNTIME_API` and speaks the documented
protocol (2018-06-01): `GET /runtime/invocation/next` blocks until there is work;
`POST /runtime/invocation/{id}/response|error` and `POST /runtime/init/error` report back.
The server sets TCP_NODELAY (the runtime keeps its connection alive; Nagle plus delayed
ACK would add ~40 ms per invocation) and sends every header Lambda sends with `next`:
awslambdaric's native client crashes without `Lambda-Runtime-Trace-Id`.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from lab.offline.lambda_.limits import SYNC_PAYLOAD_LIMIT

PREFIX = "/2018-06-01/runtime"
_INVOCATION = re.compile(rf"^{PREFIX}/invocation/([^/]+)/(response|error)$")
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
# awslambdaric sends the error again in `Lambda-Runtime-Function-XRay-Error-Cause` when it is
# under 1 MiB; Lambda accepts it. The lab has no X-Ray: header lines longer than
# http.client's 64 KB limit are skipped (up to 1 MiB), never refused.
LONG_HEADER_LINE = 1024 * 1024 + 2
# A result body is read up to one byte past Lambda's response limit (outcome.py then says
# "Response payload size exceeded"); the rest is read and dropped, never held.
BODY_LIMIT = SYNC_PAYLOAD_LIMIT + 1


class _SkipLongHeaderLines:
    """The connection's reader, with header lines past http.client's limit left out."""

    def __init__(self, raw):
        self._raw = raw

    def readline(self, limit: int = -1) -> bytes:
        while True:
            line = self._raw.readline(LONG_HEADER_LINE)
            if len(line) <= http.client._MAXLINE or not line.endswith(b"\n"):
                return line

    def __getattr__(self, name):
        return getattr(self._raw, name)


class RuntimeSide(Protocol):
    """What the environment offers its Runtime API (see environments.Environment)."""

    def runtime_next(self) -> tuple[bytes, dict[str, str]] | None: ...
    def runtime_result(self, request_id: str, kind: str, body: bytes,
                       error_type: str | None) -> bool: ...
    def runtime_init_error(self, body: bytes, error_type: str | None) -> None: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Lambda's Runtime API
    server: _Server

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = _SkipLongHeaderLines(self.rfile)

    def log_message(self, *args):  # the environment's own logs are what matters
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.send_response_only(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", (headers or {}).get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        try:
            length = max(int(self.headers.get("Content-Length") or 0), 0)
        except ValueError:
            length = 0
        body = self.rfile.read(min(length, BODY_LIMIT)) if length else b""
        left = length - len(body)
        while left > 0:  # past the limit: read and drop
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
        return body

    def do_GET(self):
        if self.path != f"{PREFIX}/invocation/next":
            return self._reply(404, b'{"errorType":"NotFound"}')
        work = self.server.side.runtime_next()
        if work is None:  # the environment is shutting down: the runtime should stop
            self.close_connection = True
            return self._reply(410, b'{"errorType":"EnvironmentShutdown"}')
        body, headers = work
        self._reply(200, body, headers)

    def do_POST(self):
        body = self._body()
        side = self.server.side
        if self.path == f"{PREFIX}/init/error":
            side.runtime_init_error(body, self.headers.get(ERROR_TYPE_HEADER))
            return self._reply(202, b'{"status":"OK"}')
        match = _INVOCATION.match(self.path)
        if not match:
            return self._reply(404, b'{"errorType":"NotFound"}')
        request_id, kind = match.groups()
        if side.runtime_result(request_id, kind, body, self.headers.get(ERROR_TYPE_HEADER)):
            return self._reply(202, b'{"status":"OK"}')
        msg = json.dumps({"errorMessage": f"Invalid request ID {request_id}",
                          "errorType": "InvalidRequestID"}).encode()
        return self._reply(400, msg)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        """A runtime that died mid-request (killed environment) is not an error to print."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, side: RuntimeSide):
        self.side = side
        super().__init__(("127.0.0.1", 0), _Handler)


class RuntimeApi:
    """A Runtime API server for one environment; `address` goes into AWS_LAMBDA_RUNTIME_API."""

    def __init__(self, side: RuntimeSide, name: str):
        self._server = _Server(side)
        host, port = self._server.server_address[:2]
        self.address = f"{host}:{port}"
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={
            "poll_interval": 0.05}, name=f"lambda-runtime-api-{name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and close the socket (once; later calls do nothing)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
