"""The Lambda Invoke data plane: orchestration of the parts in this folder.

`LambdaService.invoke()` is what the HTTP route (api.py) and the other extensions (SQS
event source mappings, HTTP APIs) call. It validates the request, resolves the function
version in moto's store (functions.py), takes a warm environment or starts a cold one
(pool.py, code.py, environments.py), runs the invocation and turns what happened into the
answer, the END / REPORT lines and the record (outcome.py).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

from lab.offline.errors import LabAwsError
from lab.offline.lambda_ import control, functions, layers, logs, runtimes, sandbox
from lab.offline.lambda_.code import CodeCache
from lab.offline.lambda_.environments import (
    Environment,
    FunctionSpec,
    Invocation,
    Spawner,
    new_trace_id,
)
from lab.offline.lambda_.exceptions import (
    InvalidParameterValue,
    InvalidRequestContent,
    InvalidRuntime,
    RequestTooLarge,
    ResourceConflict,
)
from lab.offline.lambda_.limits import ASYNC_PAYLOAD_LIMIT, LOG_TAIL_BYTES, SYNC_PAYLOAD_LIMIT
from lab.offline.lambda_.outcome import InvokeResult, Outcome, conclude, init_report_line
from lab.offline.lambda_.pool import EnvironmentPool
from lab.offline.lambda_.settings import Settings

__all__ = ["ASYNC_PAYLOAD_LIMIT", "INVOCATION_TYPES", "InvokeResult", "LambdaService",
           "Settings", "SYNC_PAYLOAD_LIMIT"]

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
PRUNE_S = 2.0  # how often unzipped packages of deleted functions are removed


@dataclass(frozen=True)
class _Init:
    """How a cold start's INIT went (a warm start has none: `failed` None)."""

    failed: str | None = None  # "init_error" | "init_timeout" | "init_exited"
    init_ms: float | None = None
    breakdown: dict | None = None
    body: bytes = b""
    error_type: str | None = None
    exit_status: int | None = None
    oom: bool = False


def _check_invocation_type(invocation_type: str) -> None:
    if invocation_type not in INVOCATION_TYPES:
        raise InvalidParameterValue(
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            f"{list(INVOCATION_TYPES)}")


def _checked_payload(payload: bytes, invocation_type: str) -> bytes:
    """The payload within the invocation type's size limit and JSON; empty becomes {}."""
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        raise RequestTooLarge(limit)
    if not payload.strip():
        return b"{}"
    try:
        json.loads(payload)
    except ValueError as exc:
        raise InvalidRequestContent(f"Could not parse request body into json: {exc}") from None
    return payload


class LambdaService:
    """Offline Lambda: invoke functions moto stores, in real execution environments."""

    def __init__(self, context):
        self.context = context  # ServerContext: the port is known only once it is bound
        self.account_id = context.account_id
        self.default_region = context.default_region
        self.settings = Settings()
        self.records: deque[dict] = deque(maxlen=20000)
        self._scratch = tempfile.mkdtemp(prefix=f"lab-lambda-{os.getpid()}-")
        self.code = CodeCache(self._scratch)
        self.layers = layers.LayerStore(self._scratch)
        self.interpreters_used: dict[str, str] = {}  # shown in /_lab/health
        self.sandbox = sandbox.detect()  # bubblewrap, or plain processes (and why)
        self._spawner = Spawner(self.sandbox)
        self.pool = EnvironmentPool(self.settings, self._current_spec)
        from lab.offline.lambda_.provisioned import ProvisionedConcurrency
        from lab.offline.lambda_.snapstart import SnapStart

        self.provisioned = ProvisionedConcurrency(self)
        self.snapstart = SnapStart(self)
        from lab.offline.lambda_.async_invoke import AsyncInvoker

        self.async_invoker = AsyncInvoker(self)
        self._stop_pruning = threading.Event()
        threading.Thread(target=self._prune_code_loop, name="lambda-code-prune",
                         daemon=True).start()

    def prune_code(self) -> list[str]:
        """Remove unzipped packages of deleted functions (unless a live environment runs
        them)."""
        keep = functions.live_code_shas(self.account_id)
        keep |= {env.spec.code_sha for env in self.pool.all()}
        return self.code.prune(keep)

    def _prune_code_loop(self) -> None:
        while not self._stop_pruning.wait(PRUNE_S):
            try:
                self.prune_code()
            except Exception:  # pruning must never stop
                logging.getLogger("lab.offline.lambda").exception("code cache prune failed")

    # -- function look-up -------------------------------------------------------------
    def resolve(self, function: str, qualifier: str | None, region: str
                ) -> tuple[FunctionSpec, str, object]:
        """Three values: (FunctionSpec, invoked ARN, moto's function) for a name or ARN and
        an optional qualifier; raises ResourceNotFoundException (404)."""
        return functions.resolve(self.account_id, function, qualifier, region)

    def _current_spec(self, spec: FunctionSpec) -> FunctionSpec | None:
        """`spec`'s function version as moto has it now; None if it was deleted."""
        name = spec.arn if spec.version == "$LATEST" else f"{spec.arn}:{spec.version}"
        try:
            return self.resolve(name, None, spec.region)[0]
        except LabAwsError:
            return None

    # -- the Invoke API -----------------------------------------------------------------
    def invoke(self, function: str, payload: bytes | str | None = b"",
               qualifier: str | None = None, invocation_type: str = "RequestResponse",
               log_type: str | None = None, client_context: str | None = None,
               region: str | None = None) -> InvokeResult:
        """Invoke a function as Lambda's Invoke API does; raises LabAwsError (404/413/429/...)."""
        region = region or self.default_region
        invocation_type = invocation_type or "RequestResponse"
        _check_invocation_type(invocation_type)
        if isinstance(payload, str):
            payload = payload.encode()
        spec, invoked_arn, fn = self.resolve(function, qualifier, region)
        if control.state(fn) != "Active":
            raise ResourceConflict(control.state_message(control.state(fn)))
        payload = _checked_payload(payload or b"", invocation_type)
        if not spec.runtime.startswith("python3"):
            raise InvalidRuntime(spec.runtime)
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return InvokeResult(status=204, request_id=request_id,
                                executed_version=spec.version)
        if invocation_type == "Event":
            self.async_invoker.submit(function, qualifier, region, payload, request_id)
            return InvokeResult(status=202, request_id=request_id,
                                executed_version=spec.version)
        return self.invoke_sync(spec, invoked_arn, fn, payload, request_id,
                                log_type=log_type, client_context=client_context)

    def invoke_sync(self, spec: FunctionSpec, invoked_arn: str, fn, payload: bytes,
                    request_id: str, log_type: str | None = None,
                    client_context: str | None = None, source: str = "sync") -> InvokeResult:
        """Run one invocation now (validated, resolved) and record it."""
        env, cold = self.pool.acquire(spec, lambda: self.snapstart.start(spec, fn)
                                      or self._start(spec, fn))
        inv = Invocation(request_id=request_id, payload=payload, invoked_arn=invoked_arn,
                         client_context=client_context, trace_id=new_trace_id())
        try:
            result, record = self._run(spec, env, cold, inv, source)
            record["initialization_type"] = env.init_type
        finally:
            self.pool.release(env)
        self.records.append(record)
        if log_type == "Tail":
            result.log_tail = self._log_tail(env, inv, cold)
        return result

    def _start(self, spec: FunctionSpec, fn, cls: type[Environment] = Environment
               ) -> Environment:
        """A new environment of `spec` (`cls`: provisioned.py's, snapstart.py's)."""
        task_root = self.code.task_root(spec.code_sha, functions.code_package(fn))
        interpreter = runtimes.choose(spec.runtime, self.settings.interpreters)
        mounts = self.layers.materialise(
            functions.layer_packages(self.account_id, spec.region, spec))
        # A cold start's first line on AWS (the runtime version is the lab's own).
        version = (spec.runtime or "python").replace("python", "python:", 1)
        init_start = (f"INIT_START Runtime Version: {version}.lab\tRuntime Version ARN: "
                      f"{control.runtime_version_arn(spec.region, spec.runtime)}")
        self.interpreters_used[spec.runtime] = interpreter.describe().removeprefix("lab: ")
        notes = [init_start, interpreter.describe()]
        notes += [f"lab: layer {arn} is AWS's public Powertools layer: it runs the installed "
                  f"aws-lambda-powertools {layers.powertools_version()}"
                  for arn in spec.layers if layers.is_powertools_arn(arn)]
        env = cls(spec, task_root, self.context.endpoint_url, self._spawner,
                          self._scratch, self.pool.forget, python=interpreter.path,
                          layer_mounts=tuple(mounts), init_log=tuple(notes))
        env.interpreter = interpreter
        env.code_roots = [task_root, *(m.host for m in mounts)]
        return env

    @staticmethod
    def _log_tail(env: Environment, inv: Invocation, cold: bool) -> str:
        """X-Amz-Log-Result: base64 of the last 4 KB of this invocation's log (INIT too)."""
        lines = (env.init_lines if cold else []) + inv.log_lines
        return base64.b64encode("".join(lines).encode()[-LOG_TAIL_BYTES:]).decode()

    # -- one invocation in one environment ----------------------------------------------
    def _run(self, spec: FunctionSpec, env: Environment, cold: bool, inv: Invocation,
             source: str) -> tuple[InvokeResult, dict]:
        init = self._init_phase(env) if cold else _Init()
        restore = env.restore_ms() if cold and hasattr(env, "restore_ms") else None
        if init.failed:
            ended, duration_ms = init.failed, self._skip_handler(spec, env, inv)
        else:
            ended, duration_ms = self._invoke_phase(spec, env, inv)
        peak_kb = max(env.peak_rss_kb() or 0, env.last_peak_kb or 0) or None
        self._end_abnormal(env, ended)
        done = conclude(spec, Outcome(
            request_id=inv.request_id, ended=ended,
            body=init.body if init.failed else inv.body,
            error_type=init.error_type if init.failed else inv.error_type,
            exit_status=init.exit_status if init.failed else env.exit_status,
            oom=init.oom if init.failed else env.kill_reason == "oom",
            duration_ms=duration_ms, cold=cold, init_ms=init.init_ms,
            init_breakdown_ms=init.breakdown, init_timeout_s=self.settings.init_timeout_s,
            peak_kb=peak_kb, ended_ms=logs.now_ms(), environment_id=env.id,
            log_stream=env.stream, pid=env.pid, start_ms=inv.start_ms, end_ms=inv.end_ms,
            source=source, restore=restore))
        env.drain()
        env.write_log(*done.log_lines)
        return done.result, done.record

    def _init_phase(self, env: Environment) -> _Init:
        """Wait for a cold environment's INIT; a failed INIT answers the invocation."""
        status = env.wait_init(self.settings.init_timeout_s)  # ok|error|timeout|exited
        breakdown = env.init_breakdown_ms()
        if status == "ok":
            return _Init(init_ms=breakdown["init_total_ms"], breakdown=breakdown)
        init_ms = (time.time_ns() - env.spawn_ns) / 1e6
        if status == "timeout":
            env.kill("init timeout")
            env.write_log(init_report_line(init_ms, "timeout"))
        body, error_type = env.init_error or (b"", None)
        if status == "error" and getattr(env, "interpreter", None) is not None:
            body = runtimes.explain_import_error(body, env.interpreter, env.code_roots)
        return _Init(failed=f"init_{status}", init_ms=init_ms, breakdown=breakdown,
                     body=body, error_type=error_type, exit_status=env.exit_status,
                     oom=env.kill_reason == "oom")

    @staticmethod
    def _skip_handler(spec: FunctionSpec, env: Environment, inv: Invocation) -> float:
        """INIT failed: the environment goes, the invocation gets START and no handler."""
        inv.start_ms = inv.end_ms = logs.now_ms()
        env.kill("init failed")
        env.current = inv
        env.write_log(logs.start_line(inv.request_id, spec.version))
        return 0.0

    @staticmethod
    def _invoke_phase(spec: FunctionSpec, env: Environment, inv: Invocation
                      ) -> tuple[str, float]:
        """Hand the event to the runtime and wait, up to the function's Timeout; returns
        how it ended ("response", "error", "timeout", "exited") and the duration in ms."""
        start_ms = logs.now_ms()
        inv.deadline_s = time.perf_counter() + spec.timeout_s
        how = env.invoke(inv)  # done | timeout | exited | killed
        if how == "done" and (env.peak_rss_kb() or 0) > spec.memory_mb * 1024:
            env.kill("oom")  # the handler went past MemorySize: Lambda would kill it
            how = "killed"
        now = time.perf_counter()
        started = inv.started if inv.started is not None else now
        ended = inv.ended if (how == "done" and inv.ended) else now
        inv.start_ms = inv.start_ms or start_ms
        inv.end_ms = inv.end_ms or logs.now_ms()
        ending = inv.kind if how == "done" else "timeout" if how == "timeout" else "exited"
        return ending, (ended - started) * 1000

    @staticmethod
    def _end_abnormal(env: Environment, ended: str) -> None:
        """A timed-out environment is killed; a dead one is waited for."""
        if ended == "timeout":
            env.kill("timeout")
        elif ended == "exited" and env.exit_status is None:
            env.kill(env.kill_reason or "exited")

    # -- views for /_lab/lambda/... --------------------------------------------------------
    def environments(self) -> list[dict]:
        return self.pool.describe()

    def retired(self, limit: int = 50) -> list[dict]:
        """The latest `limit` retired environments (idle, code updated, deleted), oldest
        first."""
        return self.pool.retired(limit)

    def invocations(self, function: str | None = None) -> list[dict]:
        records = list(self.records)
        if function:
            name = function.split(":function:")[-1].split(":")[0]
            records = [r for r in records if r["function"] == name]
        return records

    # -- reset and shutdown ---------------------------------------------------------------
    def kill_all(self, why: str) -> None:
        self.pool.kill_all(why)

    def reset(self) -> None:
        self.async_invoker.clear()
        self.provisioned.reset()
        self.snapstart.reset()
        self.pool.reset()
        self.records.clear()
        self.code.prune(set())  # moto forgets every function next

    def shutdown(self) -> None:
        self._stop_pruning.set()
        self.async_invoker.stop()
        self.provisioned.stop()
        self.snapstart.stop()
        self.pool.stop()
        self._spawner.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)
