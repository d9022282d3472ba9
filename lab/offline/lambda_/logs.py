"""Lambda's log lines, written straight into moto's CloudWatch Logs (same process).

Each execution environment gets one stream in `/aws/lambda/<function>`, named as Lambda
names them (`YYYY/MM/DD/[<version>]<32 hex>`), so `logs.filter_log_events` reads START,
END, REPORT and the handler's own output offline exactly as it does on AWS.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

# moto's log streams are not thread-safe on their own: every writer into moto's
# CloudWatch Logs (Lambda logs here, API Gateway access logs) holds this lock.
MOTO_LOGS_LOCK = threading.Lock()


def stream_name(version: str, env_hex: str, when: float | None = None) -> str:
    day = datetime.fromtimestamp(when or time.time(), tz=UTC).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{env_hex}"


def now_ms() -> int:
    return int(time.time() * 1000)


def iso_ms(epoch_ms: int) -> str:
    """Lambda's timestamp style in log lines: 2024-01-01T00:00:00.000Z."""
    dt = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def billed_ms(duration_ms: float, init_ms: float | None) -> int:
    """Billed Duration: duration (plus INIT on a cold start, billed since 2025-08-01),
    rounded up to the next millisecond."""
    return math.ceil(duration_ms + (init_ms or 0.0))


def report_line(request_id: str, duration_ms: float, memory_mb: int, max_used_mb: int,
                init_ms: float | None = None, status: str | None = None,
                error_type: str | None = None,
                restore: tuple[float, int] | None = None) -> str:
    """`REPORT RequestId: ...\\tDuration: ...` exactly as Lambda writes it.

    `Init Duration` appears on cold starts only; `Status`/`Error Type` only when the
    invocation ended abnormally (timeout, crash, out of memory), as current runtimes log.
    """
    parts = [f"REPORT RequestId: {request_id}",
             f"Duration: {duration_ms:.2f} ms",
             f"Billed Duration: {billed_ms(duration_ms, init_ms)} ms",
             f"Memory Size: {memory_mb} MB",
             f"Max Memory Used: {max_used_mb} MB"]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if restore is not None:  # SnapStart (snapstart-monitoring.html)
        parts.append(f"Restore Duration: {restore[0]:.2f} ms")
        parts.append(f"Billed Restore Duration: {restore[1]} ms")
    if status:
        parts.append(f"Status: {status}")
    if error_type:
        parts.append(f"Error Type: {error_type}")
    return "\t".join(parts) + "\t"


class LogWriter:
    """Appends events to one log stream of moto's CloudWatch Logs backend."""

    def __init__(self, account_id: str, region: str, group: str, stream: str):
        self.account_id, self.region, self.group, self.stream = account_id, region, group, stream
        self.closed = False

    def close(self) -> None:
        """Write nothing more: a deleted function's environments log no more lines (on AWS
        they shut down silently), so a deleted log group is never created again by them."""
        self.closed = True

    def _backend(self):
        from moto.logs.models import logs_backends

        return logs_backends[self.account_id][self.region]

    def _ensure(self, backend) -> None:
        """Create the group and stream if missing (a reset or a delete may drop them)."""
        group = backend.groups.get(self.group)
        if group is not None and self.stream in group.streams:
            return
        if group is None:
            backend.create_log_group(self.group, {})
        backend.ensure_log_stream(self.group, self.stream)

    def write(self, messages: list[str], timestamp_ms: int | None = None) -> None:
        if not messages or self.closed:
            return
        ts = timestamp_ms or now_ms()
        events = [{"timestamp": ts, "message": m} for m in messages]
        with MOTO_LOGS_LOCK:
            backend = self._backend()
            self._ensure(backend)
            backend.put_log_events(self.group, self.stream, events)
