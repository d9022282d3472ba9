"""Reading what Lambda and the lab's handlers write to CloudWatch Logs, on either target.

- REPORT lines (`Duration`, `Init Duration`, `Max Memory Used`...) are parsed by
  `lab.observe.reports` (one parser for offline and AWS logs).
- `LAB_RECORD {json}` lines come from `lab/functions/recorder.py`.
- The offline endpoint also keeps each invocation's record with its INIT breakdown
  (`GET /_lab/lambda/invocations?function=`): offline only; on AWS the REPORT line's
  `Init Duration` is all there is (plus what the handler measures itself).

CloudWatch Logs ingestion lag: on AWS a log line shows up seconds after the invocation
returns, so reading once right away finds nothing. Readers poll until they have what they
expect or a timeout passes (and say what is missing).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import pandas as pd
from botocore.exceptions import ClientError

from lab.observe.reports import parse_report_line, parse_reports
from lab.stack.retry import error_code
from lab.stack.waits import poll_until
from lab.targets.base import require_offline

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
    return fetch_log_events(logs, log_group, start_time_ms=start_time_ms,
                            end_time_ms=end_time_ms, filter_pattern=REPORT_PATTERN)


def fetch_log_events(logs, log_group: str, *, start_time_ms: int,
                     end_time_ms: int | None = None,
                     filter_pattern: str | None = None) -> list[dict]:
    """Every event in `log_group` since `start_time_ms` (all pages; `filter_pattern` in
    CloudWatch Logs syntax), oldest first. Raises ResourceNotFoundException (ClientError)
    for a group that does not exist (yet)."""
    kwargs = dict(logGroupName=log_group, startTime=start_time_ms)
    if filter_pattern:
        kwargs["filterPattern"] = filter_pattern
    if end_time_ms is not None:
        kwargs["endTime"] = end_time_ms
    events: list[dict] = []
    while True:
        page = logs.filter_log_events(**kwargs)
        events += page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return sorted(events, key=lambda e: e.get("timestamp", 0))
        kwargs["nextToken"] = token


def tail_line(event: dict) -> str:
    """One event the way `aws logs tail` prints it: ISO timestamp (UTC), stream, message."""
    stamp = datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC)
    return f"{stamp.isoformat(timespec='microseconds')} {event.get('logStreamName', '-')} " \
        f"{event.get('message', '').rstrip()}"


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


RECORD_PREFIX = "LAB_RECORD "


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def log_events(target, function_name: str, pattern: str, *, start_ms: int | None = None,
               expect: int = 0, timeout_s: float = 30.0, poll_s: float = 0.5) -> list[dict]:
    """Events of the function's log group that contain `pattern` (a plain term), polling
    until at least `expect` are there; after `timeout_s` it returns what did arrive."""
    logs = target.client("logs")
    kwargs = {"logGroupName": log_group(function_name), "filterPattern": f'"{pattern}"'}
    if start_ms:
        kwargs["startTime"] = int(start_ms)
    found: list[dict] = []

    def enough() -> list[dict] | None:
        found.clear()
        try:
            for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
                found.extend(e for e in page["events"] if pattern in e["message"])
        except logs.exceptions.ResourceNotFoundException:
            pass  # the function has not logged yet
        return list(found) if len(found) >= expect else None

    try:
        return poll_until(enough, timeout=timeout_s, poll_every=poll_s)
    except TimeoutError:
        return list(found)


def recorder_records(events: list[dict]) -> pd.DataFrame:
    """`LAB_RECORD` lines -> one row per record (the recorder's fields, `lab` flattened to
    `lab_<key>`, plus `log_stream`: one stream per execution environment)."""
    rows = []
    for e in events:
        msg = e["message"]
        at = msg.find(RECORD_PREFIX)
        if at < 0:
            continue
        rec = json.loads(msg[at + len(RECORD_PREFIX):].strip())
        for k, v in (rec.pop("lab", None) or {}).items():
            rec[f"lab_{k}"] = v
        rec["log_stream"] = e.get("logStreamName")
        rows.append(rec)
    return pd.DataFrame(rows)


def reports(target, function_name: str, *, start_ms: int | None = None, request_ids=(),
            expect: int = 0, timeout_s: float = 30.0) -> pd.DataFrame:
    """The function's REPORT lines as `lab.observe.reports` parses them (one row per invocation),
    polled (`wait_for_report_lines`) until every one of `request_ids` has its
    line, or, without ids, until `expect` lines are there. After `timeout_s` it returns the
    lines that did arrive (a partial result: callers join by request id)."""
    ids = {r for r in request_ids if isinstance(r, str) and r}
    try:
        events = wait_for_report_lines(
            target.client("logs"), log_group(function_name), start_time_ms=int(start_ms or 0),
            request_ids=ids or None, expected=None if ids else expect, timeout=timeout_s,
            poll_every=0.5)
    except ReportLinesTimeout as exc:
        events = exc.events
    return parse_reports(events)


def reports_by_id(reports: pd.DataFrame) -> dict[str, dict]:
    """request id -> that invocation's REPORT fields (`lab.observe.reports` columns; missing values,
    e.g. a warm start's `init_duration_ms`, are None) plus `start`: "cold" or "warm"."""
    out = {}
    for rep in reports.to_dict("records"):
        row = {k: None if not isinstance(v, (str, bool)) and pd.isna(v) else v
               for k, v in rep.items()}
        row["start"] = "cold" if row.get("cold") else "warm"
        out[row["request_id"]] = row
    return out


def offline_invocations(target, function_name: str) -> list[dict]:
    """OFFLINE ONLY: the endpoint's record of each invocation (cold flag, environment id,
    INIT breakdown). AWS equivalent: REPORT lines (Init Duration, no breakdown)."""
    require_offline(target, "per-invocation INIT breakdowns",
                    "use the REPORT line's Init Duration (lab.observe.logs.reports)")
    return target.lab.lambda_invocations(function_name)
