"""CloudWatch Logs ingestion lag: on AWS a REPORT line shows up seconds after the invocation
returns, so reading it once right away finds nothing. Poll `filter_log_events` until the
lines arrive or a timeout passes (and say which are missing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from botocore.exceptions import ClientError

from lab.aws.retry import error_code
from lab.reports import parse_report_line

REPORT_PATTERN = '"REPORT RequestId"'


class ReportLinesTimeout(TimeoutError):
    """Not every expected REPORT line arrived in time; `events` holds those that did."""

    def __init__(self, message: str, events: list[dict]):
        super().__init__(message)
        self.events = events


def _request_id(message: str) -> str | None:
    row = parse_report_line(message)
    return row["request_id"] if row else None


def fetch_report_events(logs, log_group: str, *, start_time_ms: int,
                        end_time_ms: int | None = None) -> list[dict]:
    """Every REPORT event in `log_group` since `start_time_ms` (all pages)."""
    kwargs = dict(logGroupName=log_group, filterPattern=REPORT_PATTERN, startTime=start_time_ms)
    if end_time_ms is not None:
        kwargs["endTime"] = end_time_ms
    events: list[dict] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        events += page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return events
        kwargs["nextToken"] = token


def wait_for_report_lines(logs, log_group: str, *, start_time_ms: int,
                          request_ids: Iterable[str] | None = None, expected: int | None = None,
                          timeout: float = 120.0, poll_every: float = 2.0,
                          sleep: Callable[[float], None] = time.sleep,
                          clock: Callable[[], float] = time.monotonic) -> list[dict]:
    """REPORT events for `request_ids` (or at least `expected` of them), polled until they
    arrive; raises ReportLinesTimeout after `timeout` seconds. A log group that does not
    exist yet (the function has not logged) counts as "not yet"."""
    wanted = set(request_ids or ())
    if not wanted and expected is None:
        raise ValueError("give request_ids or expected")
    deadline = clock() + timeout
    events: list[dict] = []
    while True:
        try:
            events = fetch_report_events(logs, log_group, start_time_ms=start_time_ms)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        seen = {_request_id(e.get("message", "")) for e in events}
        if wanted:
            events = [e for e in events if _request_id(e.get("message", "")) in wanted]
            missing = wanted - seen
            done = not missing
        else:
            missing = set()
            done = len(events) >= expected
        if done:
            return events
        if clock() >= deadline:
            what = f"{len(missing)} request id(s)" if wanted else f"{expected - len(events)} line(s)"
            raise ReportLinesTimeout(
                f"{what} still missing from {log_group} after {timeout:.0f} s "
                "(CloudWatch Logs ingestion lag; try a longer timeout)", events)
        sleep(poll_every)
