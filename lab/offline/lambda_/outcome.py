"""From what one invocation's environment reported to what Lambda answers and logs.

`conclude(spec, outcome)` is a pure function: no process, clock or moto. It gives the
Invoke result (status, payload, X-Amz-Function-Error, error type), the lines Lambda writes
after the handler's own output (the timeout or runtime-exit line, END, REPORT) and the
invocation's record for `/_lab/lambda/invocations`.

The REPORT line follows Lambda's Python logging page,
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html, and
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html:
`Duration`, `Billed Duration` (rounded up to the next millisecond, INIT included on a cold
start), `Memory Size`, `Max Memory Used`, `Init Duration` on cold starts only, and
`Status` / `Error Type` when the invocation ended abnormally.
"""

from __future__ import annotations

import json
import math
import signal
from dataclasses import dataclass

from lab.offline.lambda_ import logs
from lab.offline.lambda_.environments import FunctionSpec
from lab.offline.lambda_.limits import RESPONSE_PAYLOAD_LIMIT

ENDINGS = ("response", "error", "timeout", "exited", "init_error", "init_timeout",
           "init_exited")


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


@dataclass(frozen=True)
class Outcome:
    """What the environment and its Runtime API reported about one invocation.

    `ended`, how it ended:
    - "response" / "error": the runtime posted `/response` or `/error` (`body`, and
      `error_type` from the Lambda-Runtime-Function-Error-Type header);
    - "timeout": the function's Timeout passed first;
    - "exited": the process ended during the invocation (crash, signal, or killed for
      memory: `oom`), `exit_status` its return code (None: killed, exit not seen);
    - "init_error": INIT posted `/runtime/init/error` (`body`, `error_type`);
    - "init_timeout": INIT did not end within `init_timeout_s`;
    - "init_exited": the process ended during INIT (`oom`, `exit_status`).
    """

    request_id: str
    ended: str
    body: bytes = b""
    error_type: str | None = None
    exit_status: int | None = None
    oom: bool = False
    duration_ms: float = 0.0  # handler start to its result (or to the timeout / exit)
    cold: bool = False
    init_ms: float | None = None  # cold starts only
    init_breakdown_ms: dict | None = None
    init_timeout_s: float = 10.0
    restore: tuple[float, int] | None = None  # SnapStart: (Restore, Billed Restore) ms
    peak_kb: int | None = None  # the process's peak RSS (VmHWM)
    ended_ms: int = 0  # epoch ms the timeout was noticed (the "Task timed out" line)
    # where and when it ran, for the record
    environment_id: str = ""
    log_stream: str = ""
    pid: int | None = None
    start_ms: int = 0
    end_ms: int = 0
    source: str = "sync"


@dataclass(frozen=True)
class Conclusion:
    result: InvokeResult
    log_lines: list[str]  # after the handler's output: error line if any, END, REPORT
    report: str  # the REPORT line (also the last of log_lines)
    record: dict


@dataclass(frozen=True)
class _Verdict:
    payload: bytes
    function_error: str | None = None
    error_type: str | None = None
    status: str | None = None  # REPORT's Status: "timeout", "error" or None
    lines: tuple[str, ...] = ()  # written before END
    duration_ms: float | None = None  # overrides the measured duration


def error_payload(request_id: str, message: str, error_type: str) -> bytes:
    """The error document Lambda answers for a failure outside the handler."""
    return json.dumps({"errorMessage": f"RequestId: {request_id} Error: {message}",
                       "errorType": error_type}).encode()


def exit_description(returncode: int) -> str:
    """Lambda's wording for how the runtime process ended (Go's ProcessState.String)."""
    if returncode < 0:
        names = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault",
                 signal.SIGABRT: "aborted", signal.SIGTERM: "terminated"}
        sig = signal.Signals(-returncode)
        return f"signal: {names.get(sig, sig.name.lower())}"
    return f"exit status {returncode}"


def init_report_line(init_ms: float, status: str) -> str:
    """`INIT_REPORT` Lambda writes when INIT itself fails (e.g. Status: timeout)."""
    return f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: {status}"


def max_memory_used_mb(peak_kb: int | None) -> int:
    """REPORT's Max Memory Used: peak RSS in MB, rounded up."""
    return math.ceil((peak_kb or 0) / 1024)


def _reported_type(body: bytes, header: str | None) -> str | None:
    """The error document's errorType, else the runtime's error-type header."""
    try:
        return json.loads(body).get("errorType") or header
    except (ValueError, AttributeError):
        return header or "Runtime.Unknown"


def _exit(o: Outcome, error_line: bool) -> _Verdict:
    error_type = "Runtime.OutOfMemory" if o.oom else "Runtime.ExitError"
    if o.exit_status == 0 and not o.oom:  # the runtime ended on its own, e.g. sys.exit(0)
        message = "Runtime exited without providing a reason"
    else:
        desc = exit_description(o.exit_status if o.exit_status is not None else -9)
        message = f"Runtime exited with error: {desc}"
    lines = (f"RequestId: {o.request_id} Error: {message}\n{error_type}",) if error_line else ()
    return _Verdict(error_payload(o.request_id, message, error_type), "Unhandled", error_type,
                    "error", lines)


def _response(o: Outcome, spec: FunctionSpec) -> _Verdict:
    if len(o.body) <= RESPONSE_PAYLOAD_LIMIT:
        return _Verdict(o.body)
    error_type = "Function.ResponseSizeTooLarge"
    return _Verdict(json.dumps({
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        f"({RESPONSE_PAYLOAD_LIMIT} bytes).",
        "errorType": error_type}).encode(), "Unhandled", error_type)


def _handled_error(o: Outcome, spec: FunctionSpec) -> _Verdict:
    return _Verdict(o.body, "Unhandled", _reported_type(o.body, o.error_type))


def _timeout(o: Outcome, spec: FunctionSpec) -> _Verdict:
    seconds = f"{spec.timeout_s:.2f}"
    line = f"{logs.iso_ms(o.ended_ms)} {o.request_id} Task timed out after {seconds} seconds"
    return _Verdict(error_payload(o.request_id, f"Task timed out after {seconds} seconds",
                                  "Sandbox.Timedout"),
                    "Unhandled", "Sandbox.Timedout", "timeout", (line,),
                    max(o.duration_ms, spec.timeout_s * 1000))


def _init_error(o: Outcome, spec: FunctionSpec) -> _Verdict:
    error_type = _reported_type(o.body, o.error_type) or "Runtime.Unknown"
    return _Verdict(o.body, "Unhandled", error_type, "error")


def _init_timeout(o: Outcome, spec: FunctionSpec) -> _Verdict:
    # A MODEL, simpler than Lambda: Lambda re-runs a timed-out INIT inside the first
    # invoke (bounded by the function timeout); the lab fails the invocation instead.
    error_type = "Sandbox.Timedout"
    return _Verdict(error_payload(o.request_id, "INIT phase timed out after "
                                  f"{o.init_timeout_s:.2f} seconds", error_type),
                    "Unhandled", error_type, "error")


_VERDICTS = {
    "response": _response,
    "error": _handled_error,
    "timeout": _timeout,
    "exited": lambda o, spec: _exit(o, error_line=True),
    "init_error": _init_error,
    "init_timeout": _init_timeout,
    "init_exited": lambda o, spec: _exit(o, error_line=False),
}


def conclude(spec: FunctionSpec, o: Outcome) -> Conclusion:
    """The result, the closing log lines and the record of one invocation of `spec`."""
    if o.ended not in _VERDICTS:
        raise ValueError(f"unknown ending {o.ended!r}; one of {ENDINGS}")
    v = _VERDICTS[o.ended](o, spec)
    duration = o.duration_ms if v.duration_ms is None else v.duration_ms
    init_ms = o.init_ms if o.cold and o.restore is None else None
    max_used = max_memory_used_mb(o.peak_kb)
    report = logs.report_line(o.request_id, duration, spec.memory_mb, max_used, init_ms,
                              v.status, v.error_type if v.status == "error" else None,
                              o.restore)
    result = InvokeResult(status=200, payload=v.payload, function_error=v.function_error,
                          error_type=v.error_type, request_id=o.request_id,
                          executed_version=spec.version)
    record = {
        "request_id": o.request_id, "function": spec.name, "version": spec.version,
        "region": spec.region, "environment_id": o.environment_id,
        "log_stream": o.log_stream, "pid": o.pid, "cold": o.cold,
        "init_duration_ms": init_ms, "init_breakdown_ms": o.init_breakdown_ms,
        "start_ms": o.start_ms, "end_ms": o.end_ms, "duration_ms": round(duration, 3),
        "billed_duration_ms": logs.billed_ms(duration, init_ms),
        "memory_size_mb": spec.memory_mb, "max_memory_used_mb": max_used,
        "function_error": v.function_error, "error_type": v.error_type,
        "source": o.source,
    }
    if o.restore is not None:  # SnapStart (snapstart.py)
        record["restore_duration_ms"] = round(o.restore[0], 3)
        record["billed_restore_duration_ms"] = o.restore[1]
    return Conclusion(result, [*v.lines, logs.end_line(o.request_id), report], report, record)
