"""Reading what Lambda and the lab's handlers write to CloudWatch Logs, on either target.

- REPORT lines (`Duration`, `Init Duration`, `Max Memory Used`...) are parsed by
  `lab.reports` (one parser for offline and AWS logs).
- `LAB_RECORD {json}` lines come from `lab/functions/recorder.py`.
- The offline endpoint also keeps each invocation's record with its INIT breakdown
  (`GET /_lab/lambda/invocations?function=`): offline only; on AWS the REPORT line's
  `Init Duration` is all there is (plus what the handler measures itself).

On AWS, log events arrive seconds after the invocation: readers poll until they have
what they expect or `timeout_s` passes.
"""

from __future__ import annotations

import json
import time

import pandas as pd

from lab.targets import require_offline

RECORD_PREFIX = "LAB_RECORD "


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def log_events(target, function_name: str, pattern: str, *, start_ms: int | None = None,
               expect: int = 0, timeout_s: float = 30.0, poll_s: float = 0.5) -> list[dict]:
    """Events of the function's log group that contain `pattern` (a plain term), polling
    until at least `expect` are there or `timeout_s` passes."""
    logs = target.client("logs")
    deadline = time.monotonic() + timeout_s
    while True:
        events: list[dict] = []
        try:
            kwargs = {"logGroupName": log_group(function_name), "filterPattern": f'"{pattern}"'}
            if start_ms:
                kwargs["startTime"] = int(start_ms)
            for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
                events += [e for e in page["events"] if pattern in e["message"]]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if len(events) >= expect or time.monotonic() >= deadline:
            return events
        time.sleep(poll_s)


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
    """The function's REPORT lines as `lab.reports` parses them (one row per invocation),
    polled (`lab.aws.logs.wait_for_report_lines`) until every one of `request_ids` has its
    line, or, without ids, until `expect` lines are there. After `timeout_s` it returns the
    lines that did arrive (a partial result: callers join by request id)."""
    from lab import reports as lab_reports
    from lab.aws.logs import ReportLinesTimeout, wait_for_report_lines

    ids = {r for r in request_ids if isinstance(r, str) and r}
    try:
        events = wait_for_report_lines(
            target.client("logs"), log_group(function_name), start_time_ms=int(start_ms or 0),
            request_ids=ids or None, expected=None if ids else expect, timeout=timeout_s,
            poll_every=0.5)
    except ReportLinesTimeout as exc:
        events = exc.events
    return lab_reports.parse_reports(events)


def reports_by_id(reports: pd.DataFrame) -> dict[str, dict]:
    """request id -> that invocation's REPORT fields (`lab.reports` columns; missing values,
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
                    "use the REPORT line's Init Duration (lab.experiments.lambda_logs.reports)")
    body = target.lab_api("lambda/invocations", function=function_name)
    return body["invocations"] if isinstance(body, dict) else body
