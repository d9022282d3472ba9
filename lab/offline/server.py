"""`lab serve`: bind one port, answer with the LabApp, end cleanly and with the parent.

The server is threaded (long polls hold a thread each) and sets TCP_NODELAY on every
connection: keep-alive clients otherwise meet Nagle + delayed-ACK stalls of ~40 ms.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time

from lab.offline.moto_setup import configure_moto


class ServeError(RuntimeError):
    """A problem the user can fix (port taken, bad host): printed without a traceback."""


def _handler_class():
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class LabRequestHandler(MotoRequestHandler):
        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_request(self, code="-", size="-"):  # quiet: one line per request is noise
            pass

    return LabRequestHandler


class LabServer:
    """The endpoint, runnable in a thread (tests) or as the `lab serve` process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566,
                 extensions: list[str] | None = None, allow_hosts: tuple[str, ...] = (),
                 allow_remote: bool = False):
        self.host = host
        self.port = port
        self.extensions = extensions
        self.allow_hosts = tuple(allow_hosts)
        self.allow_remote = allow_remote
        self.app = None
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, ready_timeout: float = 10.0) -> str:
        from werkzeug.serving import make_server

        from lab.offline.app import LabApp, ServerContext

        _check_host(self.host)
        _check_port(self.port)
        if not self.allow_remote and beyond_loopback(self.host):
            raise ServeError(
                f"{self.host} is reachable from other machines, and whoever reaches the port "
                "can run code on this machine as this user: add --allow-remote if you mean it")
        configure_moto()
        allowed = self.allow_hosts
        if self.allow_remote:
            allowed += (self.host,)  # clients (and handlers) name the address they were given
        context = ServerContext(host=self.host, port=self.port, allow_hosts=allowed)
        self.app = LabApp(context, self.extensions)
        try:
            _probe_bind(self.host, self.port)  # werkzeug exits the process on EADDRINUSE
            self._server = make_server(self.host, self.port, self.app, threaded=True,
                                       request_handler=_handler_class())
        except OSError as exc:
            self.app.shutdown()
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {self.port} on {self.host} is already in use (another `lab serve`?"
                    " stop it, or pick another port with --port, or --port 0 for a free one)"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ServeError(f"cannot bind {self.host}: not an address of this machine") from None
            raise ServeError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from None
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        context.port = self.port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="lab-serve", daemon=True)
        self._thread.start()
        self._wait_ready(ready_timeout)
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", "/_lab/health")
                resp = conn.getresponse()
                body = json.loads(resp.read())
                conn.close()
                if resp.status == 200 and body.get("status") in ("ready", "degraded"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServeError(f"lab serve did not answer on {self.url} within {timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.app is not None:
            self.app.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LabServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _probe_bind(host: str, port: int) -> None:
    """Raise OSError(EADDRINUSE) if host:port cannot be bound, as werkzeug would."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _check_host(host: str) -> None:
    try:
        socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ServeError(f"invalid host {host!r}: not an address or a name this machine resolves")\
            from None


def _print_sandbox(server: LabServer) -> None:
    """Say how execution environments are contained (docs/security.md)."""
    sandbox = server.app.health_info.get("sandbox") if server.app else None
    if not sandbox:
        return
    if sandbox["mode"] == "none":
        print(f"lab serve: WARNING: Lambda environments run without a sandbox "
              f"({sandbox['reason']}); not contained: {sandbox['not_contained']}",
              file=sys.stderr, flush=True)
    else:
        print(f"lab serve: Lambda environments run in a {sandbox['mode']} sandbox",
              file=sys.stderr, flush=True)


def _check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise ServeError(f"invalid port {port}: use 0..65535 (0 = a free port)")


def beyond_loopback(host: str) -> bool:
    """True if `host` (a name or address to bind) is not only this machine's loopback."""
    from lab.offline.access import is_loopback

    if is_loopback(host):
        return False
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return True
    return not all(is_loopback(info[4][0]) for info in infos)


PARENT_ENV = "LAB_SERVE_PARENT_PID"  # set by lab.offline.process.ServeProcess


def _watch_parent(stop: threading.Event, parent: int) -> None:
    """Set `stop` when the process that started us (`parent`) is gone (we were re-parented:
    checked at once too, as it may have died while we started), saying so."""
    while True:
        if os.getppid() != parent:
            print(f"lab serve: stopping: the process that started it (pid {parent}) exited"
                  " (--exit-with-parent)", file=sys.stderr, flush=True)
            stop.set()
        if stop.wait(0.2):
            return


def serve(host: str = "127.0.0.1", port: int = 4566, exit_with_parent: bool = False,
          allow_hosts: tuple[str, ...] = (), allow_remote: bool = False) -> int:
    """Run `lab serve` in the foreground until SIGINT/SIGTERM/SIGHUP, or, with
    `exit_with_parent` (what `lab.connect()` asks for), until its parent process exits."""
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())  # before anything slow
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    server = LabServer(host, port, allow_hosts=allow_hosts, allow_remote=allow_remote)
    try:
        url = server.start()
    except ServeError as exc:
        print(f"lab serve: error: {exc}", file=sys.stderr, flush=True)
        return 2
    if beyond_loopback(host):
        print(f"lab serve: WARNING: listening on {host} (--allow-remote): whoever reaches this "
              "port can run code on this machine as this user", file=sys.stderr, flush=True)
    _print_sandbox(server)
    print(f"lab serve: ready at {url}", flush=True)
    for name, why in server.app.health_issues.items():  # also in /_lab/health ("degraded")
        print(f"lab serve: warning: {name} degraded: {why}", file=sys.stderr, flush=True)
    if exit_with_parent:
        threading.Thread(target=_watch_parent, args=(stop, parent), daemon=True).start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        try:
            print("lab serve: stopped", flush=True)
        except OSError:  # stdout was a pipe to a parent that is gone
            pass
    return 0
