"""The Lambda Invoke data plane: functions from moto, environments from environments.py.

`LambdaService.invoke()` is what the HTTP route and the other extensions (SQS event source
mappings, HTTP APIs) call. It resolves the function version in moto's store, routes the
invocation to an idle (warm) environment of that version or starts a new one (cold),
enforces reserved and account concurrency (429), the function timeout, the memory size,
and writes START / END / REPORT lines to CloudWatch Logs.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass, field

from lab.offline.errors import LabAwsError
from lab.offline.lambda_ import logs
from lab.offline.lambda_.environments import (
    Environment,
    FunctionSpec,
    Invocation,
    Spawner,
    exit_description,
    new_trace_id,
)

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # RequestResponse request and response: 6 MB
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # Event: 1 MiB
LOG_TAIL_BYTES = 4096
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class Settings:
    """Tunables, from environment variables at start, changeable via /_lab/lambda/config.

    keep_alive_s: an idle environment is shut down after this long (AWS does not document
      a number; 5-10 minutes is commonly observed). LAB_LAMBDA_KEEP_ALIVE_S, default 300.
    init_timeout_s: Lambda's INIT limit, 10 s. LAB_LAMBDA_INIT_TIMEOUT_S.
    async_retry_delays_s: waits before the two async retries; Lambda waits about 1 and
      then 2 minutes. LAB_LAMBDA_ASYNC_RETRY_DELAYS_S="60,120".
    account_concurrency: account-wide concurrent executions (AWS default quota 1,000).
      LAB_LAMBDA_ACCOUNT_CONCURRENCY.
    memory_poll_s: how often a running environment's RSS is compared with MemorySize.
    """

    keep_alive_s: float = field(default_factory=lambda: _env_float("LAB_LAMBDA_KEEP_ALIVE_S", 300))
    init_timeout_s: float = field(
        default_factory=lambda: _env_float("LAB_LAMBDA_INIT_TIMEOUT_S", 10))
    async_retry_delays_s: list[float] = field(default_factory=lambda: [
        float(x) for x in os.environ.get("LAB_LAMBDA_ASYNC_RETRY_DELAYS_S", "60,120").split(",")])
    account_concurrency: int = field(
        default_factory=lambda: int(_env_float("LAB_LAMBDA_ACCOUNT_CONCURRENCY", 1000)))
    memory_poll_s: float = 0.02

    def update(self, values: dict) -> None:
        for key, value in values.items():
            if key not in self.__dataclass_fields__:
                raise LabAwsError("InvalidParameterValueException", f"unknown setting {key!r}")
            if key == "async_retry_delays_s":
                value = [float(v) for v in value]
            elif key == "account_concurrency":
                value = int(value)
            else:
                value = float(value)
            setattr(self, key, value)


@dataclass
class InvokeResult:
    """What Invoke answers (see docs/architecture.md)."""

    status: int
    payload: bytes = b""
    function_error: str | None = None
    error_type: str | None = None
    request_id: str = ""
    executed_version: str | None = None
    log_tail: str | None = None  # base64 of the last 4 KB of logs, when LogType=Tail


class ThrottledError(LabAwsError):
    """429 TooManyRequestsException with Lambda's `Reason` field."""

    def __init__(self, reason: str):
        super().__init__("TooManyRequestsException", "Rate Exceeded.", 429,
                         extra={"Reason": reason})
        self.reason = reason


def _error_payload(request_id: str, message: str, error_type: str) -> bytes:
    return json.dumps({"errorMessage": f"RequestId: {request_id} Error: {message}",
                       "errorType": error_type}).encode()


class LambdaService:
    """Offline Lambda: invoke functions moto stores, in real execution environments."""

    def __init__(self, context):
        self.context = context  # ServerContext: the port is known only once it is bound
        self.account_id = context.account_id
        self.default_region = context.default_region
        self.settings = Settings()
        self._lock = threading.Lock()
        self._pools: dict[tuple, list[Environment]] = {}
        self._starting: dict[str, int] = {}  # function arn -> environments in INIT
        self._retired: deque[dict] = deque(maxlen=200)  # latest retirements
        self.records: deque[dict] = deque(maxlen=20000)
        self._scratch = tempfile.mkdtemp(prefix=f"lab-lambda-{os.getpid()}-")
        self._code_lock = threading.Lock()
        self._spawner = Spawner()
        self._stop = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="lambda-monitor", daemon=True)
        self._monitor.start()
        from lab.offline.lambda_.async_invoke import AsyncInvoker

        self.async_invoker = AsyncInvoker(self)

    # -- function lookup ------------------------------------------------------------------
    def _backend(self, region: str):
        from moto.awslambda.utils import get_backend

        return get_backend(self.account_id, region)

    def resolve(self, function: str, qualifier: str | None, region: str) -> tuple:
        """(FunctionSpec, invoked ARN) for a name or ARN and optional qualifier, or 404."""
        from moto.awslambda.exceptions import UnknownFunctionException

        try:
            fn = self._backend(region).get_function(function, qualifier)
        except UnknownFunctionException as exc:
            raise LabAwsError("ResourceNotFoundException", exc.message, 404) from None
        except Exception as exc:  # moto's InvalidParameterValueException and friends
            code = getattr(exc, "error_type", "InvalidParameterValueException")
            raise LabAwsError(code, getattr(exc, "message", str(exc)), 400) from None
        version = str(fn.version)
        arn = fn.function_arn
        unqualified = arn if version == "$LATEST" else arn.rsplit(":", 1)[0]
        spec = FunctionSpec(
            account_id=self.account_id, region=region, name=fn.function_name,
            arn=unqualified, version=version, handler=fn.handler or "",
            runtime=fn.run_time or "", memory_mb=int(fn.memory_size or 128),
            timeout_s=float(fn.timeout or 3),
            env_vars=tuple(sorted((fn.environment_vars or {}).items())),
            code_sha=getattr(fn, "code_sha_256", ""),
            reserved=None if fn.reserved_concurrency is None else int(fn.reserved_concurrency))
        if qualifier is None and ":" in function.split(":function:")[-1]:
            invoked = f"{unqualified}:{function.rsplit(':', 1)[1]}"
        else:
            invoked = unqualified if qualifier is None else f"{unqualified}:{qualifier}"
        return spec, invoked, fn

    def _task_root(self, spec: FunctionSpec, fn) -> str:
        """The function's code, unzipped once per code hash (Lambda's /var/task)."""
        root = os.path.join(self._scratch, "code", spec.code_sha or "empty")
        with self._code_lock:
            if not os.path.isdir(root):
                tmp = root + ".tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                os.makedirs(tmp)
                data = getattr(fn, "code_bytes", b"") or b""
                if data:
                    import io

                    try:
                        with zipfile.ZipFile(io.BytesIO(data)) as zf:
                            zf.extractall(tmp)
                    except zipfile.BadZipFile:
                        raise LabAwsError("InvalidZipFileException",
                                          "Lambda was unable to unzip the function's code.",
                                          502) from None
                os.rename(tmp, root)
        return root

    # -- the Invoke API -----------------------------------------------------------------
    def invoke(self, function: str, payload: bytes | str | None = b"",
               qualifier: str | None = None, invocation_type: str = "RequestResponse",
               log_type: str | None = None, client_context: str | None = None,
               region: str | None = None) -> InvokeResult:
        """Invoke a function as Lambda's Invoke API does; raises LabAwsError (404/413/429/...)."""
        region = region or self.default_region
        invocation_type = invocation_type or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            raise LabAwsError("InvalidParameterValueException",
                              f"1 validation error detected: Value '{invocation_type}' at "
                              "'invocationType' failed to satisfy constraint: Member must "
                              f"satisfy enum value set: {list(INVOCATION_TYPES)}")
        if isinstance(payload, str):
            payload = payload.encode()
        payload = payload or b""
        spec, invoked_arn, fn = self.resolve(function, qualifier, region)
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(payload) > limit:
            raise LabAwsError("RequestTooLargeException",
                              f"Request must be smaller than {limit} bytes for the "
                              "InvokeFunction operation", 413)
        if payload.strip():
            try:
                json.loads(payload)
            except ValueError as exc:
                raise LabAwsError("InvalidRequestContentException",
                                  f"Could not parse request body into json: {exc}") from None
        else:
            payload = b"{}"
        if not spec.runtime.startswith("python3"):
            raise LabAwsError("InvalidRuntimeException",
                              f"The runtime parameter of {spec.runtime or 'None'} is not "
                              "supported offline: lab serve runs python3.x functions only "
                              "(on the project's own interpreter). Use LAB_TARGET=aws for "
                              "other runtimes.", 502)
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
        env, cold = self._acquire(spec, fn)
        inv = Invocation(request_id=request_id, payload=payload, invoked_arn=invoked_arn,
                         client_context=client_context, trace_id=new_trace_id())
        try:
            result, record = self._run(spec, env, cold, inv)
        finally:
            if env.alive:
                env.finish()
            else:
                self._forget(env)
        record["source"] = source
        self.records.append(record)
        if log_type == "Tail":
            lines = (env.init_lines if cold else []) + inv.log_lines
            tail = "".join(lines).encode()[-LOG_TAIL_BYTES:]
            result.log_tail = base64.b64encode(tail).decode()
        return result

    # -- environments ---------------------------------------------------------------------
    def _in_use(self, arn: str | None = None) -> int:
        count = 0
        for (_, pool_arn, _), pool in self._pools.items():
            if arn is None or pool_arn == arn:
                count += sum(1 for e in pool if e.state in ("init", "busy") and e.alive)
        if arn is None:
            return count + sum(self._starting.values())
        return count + self._starting.get(arn, 0)

    def _acquire(self, spec: FunctionSpec, fn) -> tuple[Environment, bool]:
        stale: list[Environment] = []
        with self._lock:
            pool = self._pools.setdefault(spec.key, [])
            idle = []
            for env in list(pool):
                state = env.state  # read once: finish() turns busy to idle concurrently
                if env.spec.fingerprint != spec.fingerprint:
                    if state != "busy":
                        pool.remove(env)
                        stale.append(env)
                elif state == "idle" and env.alive:
                    idle.append(env)
            if idle:
                env = max(idle, key=lambda e: e.last_used)
                env.state = "busy"
            else:
                env = None
                if spec.reserved is not None and self._in_use(spec.arn) >= spec.reserved:
                    raise ThrottledError("ReservedFunctionConcurrentInvocationLimitExceeded")
                if self._in_use() >= self.settings.account_concurrency:
                    raise ThrottledError("ConcurrentInvocationLimitExceeded")
                self._starting[spec.arn] = self._starting.get(spec.arn, 0) + 1
        for old in stale:  # off the invoke path: a retirement must not delay this call
            threading.Thread(target=self._retire, args=(old, "code or configuration updated"),
                             name="lambda-retire", daemon=True).start()
        if env is not None:
            return env, False
        try:
            task_root = self._task_root(spec, fn)
            env = Environment(spec, task_root, self.context.endpoint_url, self._spawner,
                              self._scratch, self._forget)
        finally:
            with self._lock:
                self._starting[spec.arn] -= 1
                if env is not None:
                    self._pools.setdefault(spec.key, []).append(env)
        return env, True

    def _forget(self, env: Environment) -> None:
        with self._lock:
            pool = self._pools.get(env.spec.key, [])
            if env in pool:
                pool.remove(env)

    def _retire(self, env: Environment, why: str) -> None:
        env.kill(why)
        record = {"environment_id": env.id, "function": env.spec.name, "reason": why,
                  "at_ms": logs.now_ms()}
        with self._lock:
            self._retired.append(record)

    # -- one invocation in one environment ----------------------------------------------
    def _run(self, spec: FunctionSpec, env: Environment, cold: bool, inv: Invocation):
        rid = inv.request_id
        init_ms = None
        breakdown = None
        early: tuple[bytes, str] | None = None  # an INIT failure answers the invocation
        if cold:
            status = env.wait_init(self.settings.init_timeout_s)
            breakdown = env.init_breakdown_ms()
            if status == "ok":
                init_ms = breakdown["init_total_ms"]
            else:
                init_ms = (time.time_ns() - env.spawn_ns) / 1e6
                if status == "error":
                    body, etype = env.init_error
                    try:
                        etype = json.loads(body).get("errorType") or etype
                    except ValueError:
                        pass
                    early = (body, etype or "Runtime.Unknown")
                elif status == "timeout":
                    # A MODEL, simpler than Lambda: Lambda re-runs a timed-out INIT inside
                    # the first invoke (bounded by the function timeout); the lab fails the
                    # invocation with Sandbox.Timedout instead.
                    env.kill("init timeout")
                    env.write_log(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init"
                                  "\tStatus: timeout")
                    early = (_error_payload(rid, "INIT phase timed out after "
                                            f"{self.settings.init_timeout_s:.2f} seconds",
                                            "Sandbox.Timedout"), "Sandbox.Timedout")
                else:
                    oom = env.kill_reason == "oom"
                    etype = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
                    desc = exit_description(env.exit_status if env.exit_status is not None
                                            else -9)
                    early = (_error_payload(rid, f"Runtime exited with error: {desc}", etype),
                             etype)
        start_ms = logs.now_ms()
        if early is not None:
            body, etype = early
            env.kill("init failed")
            env.current = inv
            env.write_log(logs.start_line(rid, spec.version))
            duration = 0.0
            outcome = "init_error"
            inv.start_ms = inv.end_ms = start_ms
        else:
            inv.deadline_s = time.perf_counter() + spec.timeout_s
            outcome = env.invoke(inv)
            peak_kb = env.peak_rss_kb()
            if outcome == "done" and (peak_kb or 0) > spec.memory_mb * 1024:
                env.kill("oom")  # the handler went past MemorySize: Lambda would kill it
                outcome = "killed"
            now = time.perf_counter()
            started = inv.started if inv.started is not None else now
            ended = inv.ended if (outcome == "done" and inv.ended) else now
            duration = (ended - started) * 1000
            if not inv.start_ms:
                inv.start_ms = start_ms
            if not inv.end_ms:
                inv.end_ms = logs.now_ms()
        peak_kb = max(env.peak_rss_kb() or 0, env.last_peak_kb or 0) or None
        extra_lines: list[str] = []
        status = None
        function_error = None
        error_type = None
        payload = inv.body
        if outcome == "done" and inv.kind == "response":
            if len(payload) > SYNC_PAYLOAD_LIMIT:
                function_error, error_type = "Unhandled", "Function.ResponseSizeTooLarge"
                payload = json.dumps({
                    "errorMessage": "Response payload size exceeded maximum allowed payload "
                                    f"size ({SYNC_PAYLOAD_LIMIT} bytes).",
                    "errorType": error_type}).encode()
        elif outcome == "done":
            function_error = "Unhandled"
            try:
                error_type = json.loads(payload).get("errorType") or inv.error_type
            except (ValueError, AttributeError):
                error_type = inv.error_type or "Runtime.Unknown"
        elif outcome == "init_error":
            function_error, payload, error_type = "Unhandled", body, etype
            status = "error"
        elif outcome == "timeout":
            env.kill("timeout")
            duration = spec.timeout_s * 1000 if duration < spec.timeout_s * 1000 else duration
            seconds = f"{spec.timeout_s:.2f}"
            extra_lines.append(f"{logs.iso_ms(logs.now_ms())} {rid} Task timed out after "
                               f"{seconds} seconds")
            function_error, error_type, status = "Unhandled", "Sandbox.Timedout", "timeout"
            payload = _error_payload(rid, f"Task timed out after {seconds} seconds",
                                     error_type)
        else:  # the process died: crash, signal, or killed for memory
            if env.exit_status is None:
                env.kill(env.kill_reason or "exited")
            oom = env.kill_reason == "oom"
            desc = exit_description(env.exit_status if env.exit_status is not None else -9)
            error_type = "Runtime.OutOfMemory" if oom else "Runtime.ExitError"
            function_error, status = "Unhandled", "error"
            message = f"Runtime exited with error: {desc}"
            extra_lines.append(f"RequestId: {rid} Error: {message}\n{error_type}")
            payload = _error_payload(rid, message, error_type)
        env.drain()
        max_used = env.max_memory_used_mb(peak_kb)
        report = logs.report_line(rid, duration, spec.memory_mb, max_used,
                                  init_ms if cold else None, status,
                                  error_type if status == "error" else None)
        env.write_log(*extra_lines, logs.end_line(rid), report)
        result = InvokeResult(status=200, payload=payload, function_error=function_error,
                              error_type=error_type, request_id=rid,
                              executed_version=spec.version)
        record = {
            "request_id": rid, "function": spec.name, "version": spec.version,
            "region": spec.region, "environment_id": env.id, "log_stream": env.stream,
            "pid": env.pid, "cold": cold, "init_duration_ms": init_ms if cold else None,
            "init_breakdown_ms": breakdown, "start_ms": inv.start_ms, "end_ms": inv.end_ms,
            "duration_ms": round(duration, 3),
            "billed_duration_ms": logs.billed_ms(duration, init_ms if cold else None),
            "memory_size_mb": spec.memory_mb, "max_memory_used_mb": max_used,
            "function_error": function_error, "error_type": error_type,
        }
        return result, record

    # -- background: memory limit, idle keep-alive, retired code ------------------------
    def _envs(self) -> list[Environment]:
        with self._lock:
            return [e for pool in self._pools.values() for e in pool]

    def _watch(self) -> None:
        last_sweep = 0.0
        while not self._stop.wait(self.settings.memory_poll_s):
            for env in self._envs():
                if env.state in ("init", "busy") and env.alive:
                    peak = env.peak_rss_kb()  # also remembered, for a process that dies
                    if peak is not None and peak > env.spec.memory_mb * 1024:
                        threading.Thread(target=env.kill, args=("oom",), daemon=True).start()
            now = time.monotonic()
            if now - last_sweep >= 0.5:
                last_sweep = now
                try:
                    self._sweep(now)
                except Exception:  # a sweep must never stop the monitor
                    import logging

                    logging.getLogger("lab.lambda").exception("lambda sweep failed")

    def _sweep(self, now: float) -> None:
        for env in self._envs():
            if env.state != "idle" or not env.alive:
                continue
            if now - env.last_used > self.settings.keep_alive_s:
                self._forget(env)
                self._retire(env, "idle")
                continue
            try:
                spec, _, _ = self.resolve(env.spec.arn if env.spec.version == "$LATEST"
                                          else f"{env.spec.arn}:{env.spec.version}",
                                          None, env.spec.region)
            except LabAwsError:
                spec = None  # the function (version) was deleted
            if spec is None or spec.fingerprint != env.spec.fingerprint:
                self._forget(env)
                self._retire(env, "function deleted" if spec is None
                             else "code or configuration updated")

    # -- views for /_lab/lambda/... --------------------------------------------------------
    def environments(self) -> list[dict]:
        out = []
        for env in self._envs():
            out.append({
                "environment_id": env.id, "function": env.spec.name,
                "version": env.spec.version, "region": env.spec.region, "pid": env.pid,
                "state": env.state, "log_stream": env.stream, "created_ms": env.created_ms,
                "invocations": env.invocations,
                "idle_s": round(time.monotonic() - env.last_used, 3)
                if env.state == "idle" else 0.0,
                "rss_kb": env.rss_kb(), "peak_rss_kb": env.peak_rss_kb(),
                "memory_size_mb": env.spec.memory_mb,
            })
        return out

    def retired(self, limit: int = 50) -> list[dict]:
        """The latest `limit` retired environments (idle, code updated, deleted), oldest
        first."""
        with self._lock:
            return list(self._retired)[-limit:]

    def invocations(self, function: str | None = None) -> list[dict]:
        records = list(self.records)
        if function:
            name = function.split(":function:")[-1].split(":")[0]
            records = [r for r in records if r["function"] == name]
        return records

    # -- reset and shutdown ---------------------------------------------------------------
    def kill_all(self, why: str) -> None:
        with self._lock:
            envs = [e for pool in self._pools.values() for e in pool]
            self._pools.clear()
        threads = [threading.Thread(target=e.kill, args=(why,), daemon=True) for e in envs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)

    def reset(self) -> None:
        self.async_invoker.clear()
        self.kill_all("reset")
        self.records.clear()
        with self._lock:
            self._retired.clear()

    def shutdown(self) -> None:
        self._stop.set()
        self.async_invoker.stop()
        self.kill_all("shutdown")
        self._spawner.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)
