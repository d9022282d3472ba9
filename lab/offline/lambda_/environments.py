"""Execution environments: one OS process each, running AWS's runtime client.

An environment is `python -m awslambdaric <handler>` (the project's interpreter) with
Lambda's environment variables, its own Runtime API (runtime_api.py) and its own log
stream. It lives through INIT (process start to the runtime's first `next`), then one
INVOKE at a time, until it is shut down (idle, stale code, reset) or dies (timeout kill,
crash, out of memory). Processes are started, measured, killed and reaped through the
portable process layer (processes.py), which makes sure none outlives `lab serve`; the
sandbox (sandbox.py, bubblewrap on Linux) wraps the command where the OS allows it.
"""

from __future__ import annotations

import os
import selectors
import shutil
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from lab.offline.lambda_ import logs, processes, sandbox
from lab.offline.lambda_.layers import python_paths
from lab.offline.lambda_.processes import Spawner
from lab.offline.lambda_.runtime_api import RuntimeApi

BOOT_DIR = str(Path(__file__).parent / "boot")  # holds the INIT-timing sitecustomize


@dataclass(frozen=True)
class FunctionSpec:
    """What an environment needs to know about one function version (a snapshot of moto)."""

    account_id: str
    region: str
    name: str
    arn: str  # unqualified
    version: str  # "$LATEST" or "1", "2", ...
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    env_vars: tuple[tuple[str, str], ...]
    code_sha: str
    reserved: int | None
    layers: tuple[str, ...] = ()  # layer version ARNs, in order
    ephemeral_mb: int = 512  # EphemeralStorage: the size of the private /tmp

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.region, self.arn, self.version)

    @property
    def fingerprint(self) -> tuple:
        """Environments of an older fingerprint are retired (code or configuration changed)."""
        return (self.handler, self.runtime, self.memory_mb, self.timeout_s, self.env_vars,
                self.code_sha, self.layers, self.ephemeral_mb)

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


@dataclass
class Invocation:
    """One request to one environment, and what came back."""

    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: str | None = None
    trace_id: str = ""
    deadline_s: float = 0.0  # perf_counter time
    started: float | None = None  # perf_counter when the runtime got the event
    ended: float | None = None
    start_ms: int = 0
    end_ms: int = 0
    kind: str | None = None  # "response" | "error" once the runtime answered
    body: bytes = b""
    error_type: str | None = None
    log_lines: list[str] = field(default_factory=list)


def new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"


class Environment:
    """One execution environment: process, Runtime API, log stream, state.

    Subclasses (provisioned.py, snapstart.py) change `init_type` (Lambda's
    AWS_LAMBDA_INITIALIZATION_TYPE), `_argv()` and how the process starts (`_start_process`).
    """

    init_type = "on-demand"

    def __init__(self, spec: FunctionSpec, task_root: str, endpoint_url: str,
                 spawner: Spawner, scratch: str, on_exit, python: str | None = None,
                 layer_mounts: tuple = (), init_log: tuple[str, ...] = ()):
        self.id = uuid.uuid4().hex
        self.spec = spec
        self.created_ms = logs.now_ms()
        self.stream = logs.stream_name(spec.version, self.id)
        self.log = logs.LogWriter(spec.account_id, spec.region, spec.log_group, self.stream)
        self.state = "init"  # init -> idle <-> busy -> dead
        self.invocations = 0
        self.last_used = time.monotonic()
        self.kill_reason: str | None = None
        self.last_peak_kb: int | None = None
        self.exit_status: int | None = None
        self.first_next_ns: int | None = None
        self.init_error: tuple[bytes, str | None] | None = None
        self.init_lines: list[str] = []
        self.current: Invocation | None = None
        self._pending: Invocation | None = None
        self._closing = False
        self._cv = threading.Condition()
        self._out_lock = threading.Lock()
        self._partial = b""
        self._on_exit = on_exit
        self._box = spawner.sandbox or sandbox.Sandbox("none", "not configured")
        self._runtime_pid: int | None = None
        self._dir = os.path.join(scratch, f"env-{self.id}")  # the INIT trace
        os.makedirs(self._dir)
        self._trace = os.path.join(self._dir, "init.trace")
        self._marks: dict[str, int] | None = None
        self.api = RuntimeApi(self, self.id[:8])
        # Layers (layers.Mount: a host directory standing for /opt) go on PYTHONPATH after
        # the task root, in Lambda's order; `python`: runtimes.choose()'s interpreter.
        self.layer_mounts = tuple(layer_mounts)
        self.python = python or sys.executable
        self.write_log(*init_log)
        try:
            self.proc, self.spawn_ns = self._start_process(spawner, task_root, endpoint_url)
        except BaseException:
            self.api.close()
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        self.pid = self.proc.pid
        # the environment's processes (bubblewrap's own not counted as its memory)
        self.tree = processes.ProcessTree(
            self.pid, exclude=("bwrap",) if self._box.mode == "bubblewrap" else ())
        self._pump_thread = threading.Thread(target=self._pump, daemon=True,
                                             name=f"lambda-logs-{self.id[:8]}")
        self._pump_thread.start()

    def _argv(self) -> list[str]:
        return [self.python, "-m", "awslambdaric", self.spec.handler]

    def _start_process(self, spawner: Spawner, task_root: str, endpoint_url: str):
        """(process, start time in ns): a Popen-like object with pid, stdout, wait, returncode.
        In the sandbox (if any): code at /var/task, layers at /opt."""
        box = self._box
        opt_dir = self.layer_mounts[0].host if self.layer_mounts else None
        argv, cwd = box.command(self._argv(), task_root=task_root, boot_dir=BOOT_DIR,
                                trace_dir=self._dir, tmp_mb=self.spec.ephemeral_mb,
                                opt_dir=opt_dir)
        env = self._environment(box.task_root(task_root), endpoint_url)
        if box.mode != "bubblewrap":  # (bwrap has --die-with-parent and its own pid space)
            env.update(spawner.watch_parent_env())  # no parent-death signal: the bootstrap
        return spawner.spawn(argv, env, cwd)        # watches lab serve itself

    # -- process environment ------------------------------------------------------------
    def _environment(self, task_root: str, endpoint_url: str) -> dict[str, str]:
        # Built from scratch: nothing of lab serve's own environment (its secrets) leaks in.
        spec = self.spec
        layer_paths = python_paths(list(self.layer_mounts))
        if self._box.mode == "bubblewrap":  # the handler sees the layers at /opt
            for mount in self.layer_mounts:
                layer_paths = [p.replace(mount.host, mount.target, 1) for p in layer_paths]
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin:/opt/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            # The handler's own boto3 calls reach the offline cloud, never a real account.
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        env.update(dict(spec.env_vars))  # the function's Environment.Variables
        lambda_vars = {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": self.init_type,
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
            "_HANDLER": spec.handler,
            # Our sitecustomize first (INIT timing), then the code; it resets PYTHONPATH
            # to _LAB_PYTHONPATH before the handler runs.
            "PYTHONPATH": os.pathsep.join([self._box.runtime_dir(BOOT_DIR), task_root,
                                           *layer_paths]),
            "_LAB_PYTHONPATH": os.pathsep.join([task_root, *layer_paths]),
            "_LAB_INIT_TRACE": self._box.trace_file(self._dir),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(lambda_vars)
        return env

    # -- Runtime API side (called from the Runtime API's threads) -----------------------
    def runtime_next(self):
        with self._cv:
            if self.first_next_ns is None:
                self.first_next_ns = time.time_ns()
                self._cv.notify_all()
            self._cv.wait_for(lambda: self._pending is not None or self._closing)
            if self._closing:
                return None
            inv, self._pending = self._pending, None
            inv.started = time.perf_counter()
            inv.start_ms = logs.now_ms()
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.start_ms + int(self.spec.timeout_s * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
            "Content-Type": "application/json",
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        return inv.payload, headers

    def runtime_result(self, request_id: str, kind: str, body: bytes,
                       error_type: str | None) -> bool:
        with self._cv:
            inv = self.current
            if inv is None or inv.request_id != request_id or inv.kind is not None:
                return False
            inv.ended = time.perf_counter()
            inv.end_ms = logs.now_ms()
            inv.kind, inv.body, inv.error_type = kind, body, error_type
            self._cv.notify_all()
        return True

    def runtime_init_error(self, body: bytes, error_type: str | None) -> None:
        with self._cv:
            self.init_error = (body, error_type)
            self._cv.notify_all()

    # -- lifecycle (called by the service) -----------------------------------------------
    def wait_init(self, timeout_s: float) -> str:
        """Wait for INIT to end: "ok", "error" (init/error posted), "exited", "timeout"."""
        with self._cv:
            self._cv.wait_for(lambda: self.first_next_ns is not None or self.init_error
                              or self.exit_status is not None or self.kill_reason,
                              timeout=timeout_s)
            if self.first_next_ns is not None:
                self.state = "busy"
                return "ok"
            if self.init_error:
                return "error"
            if self.exit_status is not None or self.kill_reason:
                return "exited"
            return "timeout"

    def init_breakdown_ms(self) -> dict[str, float | None]:
        """INIT phases from process start to the first `next`, as far as they are measured."""
        marks = {"process_start": self.spawn_ns, **self._read_trace()}
        marks["first_next"] = self.first_next_ns

        def span(a, b):
            if marks.get(a) is None or marks.get(b) is None:
                return None
            return round((marks[b] - marks[a]) / 1e6, 3)

        return {
            "interpreter_start_ms": span("process_start", "interpreter_ready"),
            "runtime_import_ms": span("interpreter_ready", "handler_import_start"),
            "handler_import_and_init_ms": span("handler_import_start", "first_next"),
            "init_total_ms": span("process_start", "first_next"),
        }

    def _read_trace(self) -> dict[str, int]:
        if self._marks is None or len(self._marks) < 2:
            marks = {}
            try:
                with open(self._trace) as fh:
                    for line in fh:
                        name, value = line.split()
                        marks[name] = int(value)
            except (OSError, ValueError):
                pass  # no (complete) trace: INIT ended early; the inner phases stay None
            self._marks = marks
        return self._marks

    def invoke(self, inv: Invocation) -> str:
        """Hand `inv` to the runtime; return "done", "exited", "killed" or "timeout"."""
        self._drain_output()  # what INIT printed is logged before START, as on AWS
        with self._cv:
            self.current = inv
            self.state = "busy"
            self.invocations += 1
        self.write_log(logs.start_line(inv.request_id, self.spec.version))
        with self._cv:
            self._pending = inv
            self._cv.notify_all()
            remaining = inv.deadline_s - time.perf_counter()
            self._cv.wait_for(lambda: inv.kind is not None or self.exit_status is not None
                              or self.kill_reason is not None, timeout=max(remaining, 0))
            if inv.kind is not None:
                outcome = "done"
            elif self.kill_reason is not None:
                outcome = "killed"
            elif self.exit_status is not None:
                outcome = "exited"
            else:
                outcome = "timeout"
        self.drain()
        return outcome

    def finish(self) -> None:
        """The invocation is over and the environment lives on: it is idle again."""
        with self._cv:
            self.current = None
            if self.state == "busy":
                self.state = "idle"
            self.last_used = time.monotonic()

    def kill(self, reason: str, wait_s: float = 5.0) -> None:
        """Stop the environment (SIGKILL its process group) and wait for the exit."""
        with self._cv:
            if self.kill_reason is None:
                self.kill_reason = reason
            self._closing = True
            self._cv.notify_all()
        self._kill_tree()
        with self._cv:
            self._cv.wait_for(lambda: self.exit_status is not None, timeout=wait_s)
        self.api.close()

    @property
    def alive(self) -> bool:
        return self.exit_status is None and self.kill_reason is None

    def _kill_tree(self) -> None:
        """SIGKILL the process group and every process seen in the environment's tree
        (with bubblewrap, the kernel then ends the rest of its PID namespace)."""
        self.tree.kill()

    def runtime_pid(self) -> int | None:
        """The runtime's own process (inside bubblewrap: the first process that is not
        bwrap)."""
        if self._runtime_pid is None:
            if self._box.mode != "bubblewrap":
                self._runtime_pid = self.pid
            else:
                measured = self.tree.measured()
                self._runtime_pid = measured[0] if measured else None
        return self._runtime_pid

    def tree_rss_kb(self) -> int | None:
        """Summed RSS of the environment's processes (bubblewrap's own excluded)."""
        return self.tree.rss_kb()

    def peak_rss_kb(self) -> int | None:
        """Peak memory so far: the runtime's peak RSS from the kernel where the OS says
        (Linux: VmHWM), else its RSS sampled at every call (every monitor poll), and, when
        higher, the summed RSS of the whole tree (sampled every 5th call); remembered, so
        it outlives the process."""
        pid = self.runtime_pid()
        kernel = processes.peak_rss_kb(pid) if pid is not None else None
        sampled = self.tree.sample_peak_kb(pid if kernel is None else None)
        if kernel is None and sampled is None:
            return None
        peak = max(kernel or 0, sampled or 0)
        self.last_peak_kb = max(peak, self.last_peak_kb or 0)
        return peak

    def rss_kb(self) -> int | None:
        return self.tree_rss_kb()

    # -- output -> CloudWatch Logs ---------------------------------------------------------
    def _pump(self) -> None:
        fd = self.proc.stdout.fileno()
        os.set_blocking(fd, False)
        with selectors.DefaultSelector() as selector:  # select() fails past fd 1023
            selector.register(fd, selectors.EVENT_READ)
            while True:
                selector.select()
                with self._out_lock:
                    if self._read_available(fd):
                        break
        with self._out_lock:
            if self._partial:
                self._emit(self._partial)
                self._partial = b""
        _, exit_peak_kb = processes.wait(self.proc)
        self.proc.stdout.close()
        if exit_peak_kb is not None and self._box.mode != "bubblewrap":
            # the reaped runtime's own peak, from the kernel (with bubblewrap: bwrap's)
            self.last_peak_kb = max(exit_peak_kb, self.last_peak_kb or 0)
        self._read_trace()
        self._kill_tree()  # what the runtime left behind ends with it
        status = self.proc.returncode
        if self._box.mode == "bubblewrap" and 128 < status <= 128 + 64:
            status = -(status - 128)  # bwrap reports a signal death as 128 + signal
        with self._cv:
            self.exit_status = status
            self.state = "dead"
            self._closing = True
            self._cv.notify_all()
        self.api.close()  # its socket and thread end with the environment
        shutil.rmtree(self._dir, ignore_errors=True)
        self._on_exit(self)

    def _drain_output(self) -> None:
        """Log what the process has written so far (the pump would, a moment later)."""
        with self._out_lock:
            stdout = self.proc.stdout
            if stdout is not None and not stdout.closed:
                self._read_available(stdout.fileno())

    def _read_available(self, fd: int) -> bool:
        """Read what the process has written so far; True at end of file."""
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return False
            except OSError:
                return True
            if not data:
                return True
            lines = (self._partial + data).split(b"\n")
            self._partial = lines.pop()
            for line in lines:
                self._emit(line)

    def drain(self) -> None:
        """Log everything the process wrote before now (e.g. before it posted its result)."""
        if self.proc.stdout.closed:
            return
        with self._out_lock:
            if not self.proc.stdout.closed:
                self._read_available(self.proc.stdout.fileno())

    def _emit(self, raw: bytes) -> None:
        # awslambdaric ends the lines of one error report with \r: one event, as on AWS.
        text = raw.decode("utf-8", errors="replace").replace("\r", "\n")
        self.write_log(text)

    def write_log(self, *messages: str) -> None:
        events = [m if m.endswith("\n") else m + "\n" for m in messages]
        inv = self.current
        (inv.log_lines if inv is not None else self.init_lines).extend(events)
        self.log.write(events)
