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

from lab.offline.access import AccessPolicy
from lab.offline.errors import LabAwsError, aws_error, json_response
from lab.offline.requests import error_for, malformed, too_large

log = logging.getLogger("lab.offline")

ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"

# Extensions, in the order they are installed and their routes tried. Each module has
# `install(app)`; see docs/architecture.md for the contract between them.
EXTENSIONS: list[str] = [
    "lab.offline.input_checks",
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
    allow_hosts: tuple[str, ...] = ()  # beyond loopback names (`lab serve --allow-host`)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _release_memory() -> None:
    """After a reset: collect, and give freed heap pages back to the OS (glibc), so a long
    session's RSS returns to idle."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _error(request: Request, exc: LabAwsError) -> Response:
    """`exc` in the protocol of the service `request` addressed (requests.error_for)."""
    return error_for(request, exc.code, exc.message, exc.status,
                     sender_fault=exc.sender_fault, extra=exc.extra)


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
        self.access = AccessPolicy(context.allow_hosts)
        self.routes: list[Route] = []
        self.extensions: list[str] = []
        self.health_info: dict[str, object] = {}
        # Extension -> why it cannot be trusted; any entry makes /_lab/health "degraded".
        self.health_issues: dict[str, str] = {}
        # In-process services extensions offer each other, e.g. services["lambda"].invoke().
        self.services: dict[str, object] = {}
        self._shutdown_hooks: list[Callable[[], None]] = []
        self._reset_hooks: list[Callable[[], None]] = []
        # Checks before any route: each may read the body and answer (a 4xx), or pass.
        self._guards: list[Callable[[Request], Response | None]] = []
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

    def add_guard(self, guard: Callable[[Request], Response | None]) -> None:
        """`guard(request)` runs before the routes: a Response refuses the request, None lets
        it pass. A guard may read the body (`request.get_data()`); routes and moto still can."""
        self._guards.append(guard)

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
        _release_memory()

    # -- WSGI ---------------------------------------------------------------------------
    def forward_to_moto(self, request: Request, data: bytes | None = None) -> Response:
        """Hand `request` to moto as if no lab route had seen it; `data` is its body when a
        route already read it (the WSGI input can be read only once)."""
        environ = dict(request.environ)
        if data is not None:
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
        try:
            response = Response.from_app(self._moto, environ, buffered=True)
        except Exception:  # as in _call_moto: only a malformed request makes moto fail so
            log.warning("moto failed on %s %s:\n%s", request.method, request.path,
                        traceback.format_exc())
            return malformed(request)
        if response.status_code >= 400 and response.mimetype == "text/html":
            return malformed(request, response.status_code)
        return response

    def __call__(self, environ, start_response):
        request = Request(environ)
        refusal = self.access.refusal(request) or too_large(request)  # access.py, limits
        if refusal is None:
            refusal = self._guard(request)
        if refusal is not None:
            return refusal(environ, start_response)
        for route in self.routes:
            if route.matches(request):
                try:
                    response = route.handle(request)
                except LabAwsError as exc:
                    response = _error(request, exc)
                except Exception as exc:  # an AWS-shaped 500, never a bare traceback
                    log.error("route %s failed:\n%s", route.name, traceback.format_exc())
                    response = error_for(request, "ServiceException",
                                         f"lab {route.name}: {exc}", 500, sender_fault=False)
                return response(environ, start_response)
        if request.path.startswith("/_lab/"):
            return aws_error("NotFoundException", f"lab serve has no route {request.method} "
                             f"{request.path}", 404)(environ, start_response)
        return self._call_moto(request, environ, start_response)

    def _guard(self, request: Request) -> Response | None:
        for guard in self._guards:
            try:
                refusal = guard(request)
            except LabAwsError as exc:
                refusal = _error(request, exc)
            if refusal is not None:
                return refusal
        if "_cached_data" in request.__dict__:  # a guard read the body: moto reads it again
            request.environ["wsgi.input"] = io.BytesIO(request.get_data())
        return None

    def _call_moto(self, request: Request, environ, start_response):
        """moto's answer, except that a crash or an HTML error page becomes an AWS-shaped
        4xx: only a malformed request makes moto fail this way (its traceback is logged)."""
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return lambda data: None  # moto's apps never call write()

        try:
            body = self._moto(environ, capture)
        except Exception:
            log.warning("moto failed on %s %s:\n%s", request.method, request.path,
                        traceback.format_exc())
            return malformed(request)(environ, start_response)
        status, headers = captured or ("500 INTERNAL SERVER ERROR", [])
        html = any(k.lower() == "content-type" and v.startswith("text/html")
                   for k, v in headers)
        if html and int(status.split()[0]) >= 400:
            if hasattr(body, "close"):
                body.close()
            return malformed(request, int(status.split()[0]))(environ, start_response)
        start_response(status, headers)
        return body

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
