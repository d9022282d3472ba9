"""SnapStart for Python (`SnapStart={"ApplyOn": "PublishedVersions"}`), a MODEL.

On AWS (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html), publishing a version
runs INIT once, runs the before-snapshot runtime hooks, and takes a Firecracker microVM
snapshot; a new execution environment of that version is *restored* from it instead of
running INIT: REPORT shows `Restore Duration` and `Billed Restore Duration` and no `Init
Duration` (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-monitoring.html),
`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`, the after-restore hooks run in each restored
environment, and anything INIT made (a random seed, an id, a connection) is the same in
every restored environment (the uniqueness hazard).

Offline the snapshot is MODELLED by fork(): publishing a SnapStart version starts a
*template* environment (`boot/_lab_snapstart.py`, an ordinary environment process that
runs INIT and the before-snapshot hooks, then serves fork requests on a unix socket).
A restored environment (`RestoredEnvironment`) is a fork of the template with its own
Runtime API and log stream; its "restore" is the fork plus the after-restore hooks up to
its first `next`. Copy-on-write memory stands for the snapshot's pages: the timings are
this machine's fork, not Firecracker's restore. The template's log stream gets the
INIT_REPORT line. Not emulated: the snapshot's 14-day expiry, version state `Pending`
while the snapshot is taken (the first invoke waits for it instead), SnapStartTimeoutException.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time

from lab.offline.lambda_ import functions
from lab.offline.lambda_.environments import Environment, FunctionSpec

log = logging.getLogger("lab.offline.lambda")
APPLY_ON = "PublishedVersions"
REAP_S = 2.0
MODEL_NOTE = ("lab: SnapStart restore is a MODEL: a fork of an initialised template process "
              "stands for Firecracker's snapshot restore")


def enabled(fn) -> bool:
    return (getattr(fn, "_lab_snap_start", None) == APPLY_ON
            and str(getattr(fn, "version", "$LATEST")) != "$LATEST")


class SnapshotTemplate(Environment):
    """The initialised environment a version's restored environments are forked from."""

    init_type = "snap-start"

    def _argv(self) -> list[str]:
        return [self.python, "-m", "_lab_snapstart", self.spec.handler]

    def _environment(self, task_root: str, endpoint_url: str) -> dict[str, str]:
        env = super()._environment(task_root, endpoint_url)
        # "not available in Lambda SnapStart functions" (snapstart-monitoring.html)
        env.pop("AWS_LAMBDA_LOG_GROUP_NAME", None)
        env.pop("AWS_LAMBDA_LOG_STREAM_NAME", None)
        name = "snap.sock"  # in its own trace folder, which a sandbox binds read-write
        self.socket_path = os.path.join(self._dir, name)  # as lab serve reaches it
        env["_LAB_SNAPSTART_SOCKET"] = os.path.join(  # as the template inside sees it
            os.path.dirname(self._box.trace_file(self._dir)), name)
        return env

    def wait_snapshot(self, timeout_s: float) -> bool:
        """Wait until INIT and the before-snapshot hooks ran (the socket exists)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.alive and not self.init_error:
            if os.path.exists(self.socket_path):
                return True
            time.sleep(0.005)
        return False


class _ForkedProcess:
    """Popen's surface (pid, stdout, wait, returncode) for a child of the template."""

    def __init__(self, pid: int, stdout, status):
        self.pid, self.stdout, self._status = pid, stdout, status
        self.returncode: int | None = None

    def wait(self) -> int:
        line = self._status.readline().split()  # "exit N" from the template, or EOF
        self.returncode = int(line[1]) if len(line) == 2 else -9
        self._status.close()
        return self.returncode


class RestoredEnvironment(Environment):
    """An execution environment restored from its version's snapshot (forked)."""

    init_type = "snap-start"
    template: SnapshotTemplate  # set on the class built per start (see SnapStart.start)

    def _start_process(self, spawner, task_root: str, endpoint_url: str):
        read_fd, write_fd = os.pipe()
        started = time.time_ns()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.template.socket_path)
            socket.send_fds(conn, [json.dumps({"env": {
                "AWS_LAMBDA_RUNTIME_API": self.api.address,
                "AWS_LAMBDA_INITIALIZATION_TYPE": self.init_type}}).encode()], [write_fd])
        finally:
            os.close(write_fd)
        status = conn.makefile("rb")
        conn.close()  # the file object keeps the connection open
        pid, self.forked_ns = (int(x) for x in status.readline().split())
        return _ForkedProcess(pid, os.fdopen(read_fd, "rb"), status), started

    def restore_ms(self) -> tuple[float, int] | None:
        """(Restore Duration, Billed Restore Duration) in ms: request to first `next`;
        billed: from the fork (the snapshot is "restored") to the first `next`, i.e. the
        runtime's reload and the after-restore hooks, as AWS bills it."""
        if self.first_next_ns is None:
            return None
        return ((self.first_next_ns - self.spawn_ns) / 1e6,
                math.ceil((self.first_next_ns - self.forked_ns) / 1e6))


class SnapStart:
    """The templates of SnapStart versions, and restored environments started from them."""

    def __init__(self, service):
        self.service = service
        self._lock = threading.Lock()
        self._templates: dict[tuple, SnapshotTemplate] = {}  # spec.key -> template
        self._making: dict[tuple, threading.Event] = {}
        self._stop = threading.Event()
        from lab.offline.lambda_ import control

        control.ON_PUBLISH.append(self.on_publish)
        threading.Thread(target=self._reap, name="lambda-snapshots", daemon=True).start()

    def _reap(self) -> None:
        """A deleted version's snapshot goes (its template and any restored children)."""
        while not self._stop.wait(REAP_S):
            with self._lock:
                templates = list(self._templates.items())
            for key, tpl in templates:
                if self.service._current_spec(tpl.spec) is None:
                    with self._lock:
                        if self._templates.get(key) is tpl:
                            del self._templates[key]
                    tpl.kill("function deleted")

    def on_publish(self, fn) -> None:
        """PublishVersion of a SnapStart function: take the snapshot now (in the background)."""
        if not enabled(fn):
            return
        spec = functions._spec(fn.account_id, fn.region, fn)
        threading.Thread(target=self.template, args=(spec, fn), daemon=True,
                         name="lambda-snapshot").start()

    def template(self, spec: FunctionSpec, fn) -> SnapshotTemplate | None:
        """The version's initialised template (made once, and again if it died)."""
        with self._lock:
            tpl = self._templates.get(spec.key)
            if tpl is not None and tpl.alive and tpl.spec.fingerprint == spec.fingerprint:
                return tpl
            event = self._making.get(spec.key)
            mine = event is None
            if mine:
                event = self._making[spec.key] = threading.Event()
        if not mine:
            event.wait(self.service.settings.init_timeout_s + 5)
            with self._lock:
                return self._templates.get(spec.key)
        try:
            tpl = self.service._start(spec, fn, cls=SnapshotTemplate)
            if tpl.wait_snapshot(self.service.settings.init_timeout_s):
                init_ms = (time.time_ns() - tpl.spawn_ns) / 1e6
                tpl.write_log(MODEL_NOTE, f"INIT_REPORT Init Duration: {init_ms:.2f} ms")
                tpl.state = "template"
            else:
                tpl.kill("snapshot INIT failed")
                tpl = None
            with self._lock:
                if tpl is not None:
                    self._templates[spec.key] = tpl
            return tpl
        finally:
            with self._lock:
                self._making.pop(spec.key, None)
            event.set()

    def start(self, spec: FunctionSpec, fn) -> Environment | None:
        """A restored environment of a SnapStart version; None: start on demand instead."""
        if not enabled(fn):
            return None
        tpl = self.template(spec, fn)
        if tpl is None:  # INIT failed while taking the snapshot: INIT runs on demand
            return None
        cls = type("RestoredEnvironment", (RestoredEnvironment,), {"template": tpl})
        env = self.service._start(spec, fn, cls=cls)
        env.write_log(MODEL_NOTE)
        return env

    def describe(self) -> list[dict]:
        with self._lock:
            return [{"function": t.spec.name, "version": t.spec.version, "pid": t.pid,
                     "alive": t.alive} for t in self._templates.values()]

    def stop(self) -> None:
        self._stop.set()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            templates = list(self._templates.values())
            self._templates.clear()
        for tpl in templates:
            tpl.kill("reset")
