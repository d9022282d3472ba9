"""The WSGI app behind `lab serve`: the lab's routes first, moto for everything else.

Extensions are modules with `install(app: LabApp)`; each adds routes (a cheap predicate on
method, path and headers, never the body, plus a handler) and shutdown/reset hooks. A
request no route claims goes to moto untouched, so moto answers every control plane.
"""

from __future__ import annotations

import importlib
import io
import logging
import platform
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, aws_error, json_response

log = logging.getLogger("lab.offline")

ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"

# Extensions, in the order they are installed and their routes tried. Each module has
# `install(app)`; see docs/architecture.md for the contract between them.
EXTENSIONS: list[str] = [
    "lab.offline.lambda_",
    "lab.offline.sqs",
    "lab.offline.esm",
    "lab.offline.apigw",
    "lab.offline.cloudformation",
    "lab.offline.not_aws",  # last: a 404 JSON for unsigned non-AWS requests moto would 500
]


@dataclass
class ServerContext:
    """What extensions need to know about the running endpoint."""

    host: str
    port: int
    account_id: str = ACCOUNT_ID
    default_region: str = DEFAULT_REGION
    started_at: float = field(default_factory=time.time)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Route:
    name: str
    matches: Callable[[Request], bool]
    handle: Callable[[Request], Response]


class LabApp:
    """Routes requests to the lab's extensions, or to moto."""

    def __init__(self, context: ServerContext, extensions: list[str] | None = None):
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        self.context = context
        self.routes: list[Route] = []
        self.extensions: list[str] = []
        self.health_info: dict[str, object] = {}
        # Extension -> why it cannot be trusted; any entry makes /_lab/health "degraded".
        self.health_issues: dict[str, str] = {}
        # In-process services extensions offer each other, e.g. services["lambda"].invoke().
        self.services: dict[str, object] = {}
        self._shutdown_hooks: list[Callable[[], None]] = []
        self._reset_hooks: list[Callable[[], None]] = []
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._lock = threading.Lock()
        self.add_route("health", lambda r: r.path == "/_lab/health", self._health)
        self.add_route("reset", lambda r: r.path in ("/_lab/reset", "/moto-api/reset")
                       and r.method == "POST", self._reset)
        for name in EXTENSIONS if extensions is None else extensions:
            importlib.import_module(name).install(self)
            self.extensions.append(name)

    # -- registration -------------------------------------------------------------------
    def add_route(self, name: str, matches: Callable[[Request], bool],
                  handle: Callable[[Request], Response]) -> None:
        self.routes.append(Route(name, matches, handle))

    def on_shutdown(self, hook: Callable[[], None]) -> None:
        self._shutdown_hooks.append(hook)

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Hooks run before moto's state is reset (POST /_lab/reset or /moto-api/reset)."""
        self._reset_hooks.append(hook)

    # -- lifecycle ----------------------------------------------------------------------
    def shutdown(self) -> None:
        for hook in reversed(self._shutdown_hooks):
            try:
                hook()
            except Exception:  # keep shutting the rest down
                log.exception("shutdown hook failed")

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with self._lock:
            for hook in self._reset_hooks:
                hook()
            moto_api_backend.reset()

    # -- WSGI ---------------------------------------------------------------------------
    def forward_to_moto(self, request: Request, data: bytes | None = None) -> Response:
        """Hand `request` to moto as if no lab route had seen it; `data` is its body when a
        route already read it (the WSGI input can be read only once)."""
        environ = dict(request.environ)
        if data is not None:
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
        return Response.from_app(self._moto, environ, buffered=True)

    def __call__(self, environ, start_response):
        request = Request(environ)
        for route in self.routes:
            if route.matches(request):
                try:
                    response = route.handle(request)
                except LabAwsError as exc:
                    response = exc.to_response()
                except Exception as exc:  # an AWS-shaped 500, never a bare traceback
                    log.error("route %s failed:\n%s", route.name, traceback.format_exc())
                    response = aws_error("ServiceException", f"lab {route.name}: {exc}", 500,
                                         sender_fault=False)
                return response(environ, start_response)
        return self._moto(environ, start_response)

    # -- built-in routes ----------------------------------------------------------------
    def _health(self, request: Request) -> Response:
        from lab import __version__
        from lab.offline.moto_setup import moto_version

        body = {
            "status": "ready",
            "endpoint": self.context.endpoint_url,
            "lab": __version__,
            "moto": moto_version(),
            "python": platform.python_version(),
            "python_executable": sys.executable,
            "account_id": self.context.account_id,
            "default_region": self.context.default_region,
            "uptime_s": round(time.time() - self.context.started_at, 3),
            "services": {
                "control_plane": "moto (every service moto implements)",
                "lab": self.extensions,
            },
        }
        body.update(self.health_info)
        if self.health_issues:
            body["status"] = "degraded"
            body["degraded"] = dict(self.health_issues)
        return json_response(body)

    def _reset(self, request: Request) -> Response:
        self.reset()
        return json_response({"status": "ok"})
