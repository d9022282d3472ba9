"""Lambda REPORT lines -> a tidy DataFrame, for offline and AWS logs alike.

`parse_reports(events)` takes what `logs.filter_log_events(...)["events"]` returns (dicts
with `message`, `timestamp`, `logStreamName`), or plain message strings, keeps the REPORT
records and returns one row per invocation. It reads Lambda's text format

    REPORT RequestId: <id>\tDuration: 15.74 ms\tBilled Duration: 147 ms\tMemory Size: 128 MB\t
    Max Memory Used: 56 MB\tInit Duration: 130.49 ms

and the JSON log format's `platform.report` records (LoggingConfig LogFormat=JSON).

Columns (units in the names):
- request_id: str, the invocation's request id.
- duration_ms: float, INVOKE phase duration (milliseconds).
- billed_duration_ms: int, billed milliseconds (includes INIT on cold starts since
  2025-08-01).
- memory_size_mb: int, the function's configured MemorySize (MB).
- max_memory_used_mb: int, peak memory of the execution environment (MB).
- init_duration_ms: float, INIT phase duration; NaN on warm starts (milliseconds).
- restore_duration_ms: float, SnapStart restore duration; NaN unless restored (ms).
- cold: bool, True when the REPORT carries an Init (or Restore) Duration.
- status: str or None, "timeout" / "error" when the invocation ended abnormally.
- error_type: str or None, e.g. "Runtime.OutOfMemory".
- environment_id: str or None, the execution environment: the hex id at the end of the
  log stream name (one stream per environment).
- log_stream: str or None, the CloudWatch Logs stream name.
- version: str or None, the function version from the stream name ("$LATEST", "1", ...).
- timestamp: pandas Timestamp (UTC) of the log event, NaT for plain strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pandas as pd

COLUMNS = ["request_id", "duration_ms", "billed_duration_ms", "memory_size_mb",
           "max_memory_used_mb", "init_duration_ms", "restore_duration_ms", "cold", "status",
           "error_type", "environment_id", "log_stream", "version", "timestamp"]

_FIELDS = {  # REPORT field name -> (column, type)
    "RequestId": ("request_id", str),
    "Duration": ("duration_ms", float),
    "Billed Duration": ("billed_duration_ms", int),
    "Memory Size": ("memory_size_mb", int),
    "Max Memory Used": ("max_memory_used_mb", int),
    "Init Duration": ("init_duration_ms", float),
    "Restore Duration": ("restore_duration_ms", float),
    "Status": ("status", str),
    "Error Type": ("error_type", str),
}
_JSON_METRICS = {
    "durationMs": ("duration_ms", float),
    "billedDurationMs": ("billed_duration_ms", int),
    "memorySizeMB": ("memory_size_mb", int),
    "maxMemoryUsedMB": ("max_memory_used_mb", int),
    "initDurationMs": ("init_duration_ms", float),
    "restoreDurationMs": ("restore_duration_ms", float),
}
_STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/\[(?P<version>[^\]]+)\](?P<env>[0-9a-fA-F]+)$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?")


def parse_report_line(message: str) -> dict | None:
    """The fields of one REPORT message (text or JSON format), or None if it is not one."""
    text = message.strip()
    if text.startswith("{"):
        return _parse_json(text)
    if not text.startswith("REPORT "):
        return None
    row: dict = {}
    for part in text[len("REPORT "):].split("\t"):
        name, sep, value = part.partition(":")
        if not sep or name.strip() not in _FIELDS:
            continue
        column, kind = _FIELDS[name.strip()]
        value = value.strip()
        if kind is str:
            row[column] = value
        else:
            number = _NUMBER.match(value)
            if number:
                row[column] = kind(float(number.group(0))) if kind is int else float(
                    number.group(0))
    return row if "request_id" in row else None


def _parse_json(text: str) -> dict | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("type") != "platform.report":
        return None
    record = doc.get("record") or {}
    row: dict = {"request_id": record.get("requestId")}
    for key, (column, kind) in _JSON_METRICS.items():
        if key in (record.get("metrics") or {}):
            row[column] = kind(record["metrics"][key])
    if record.get("status") and record["status"] != "success":
        row["status"] = record["status"]
    if record.get("errorType"):
        row["error_type"] = record["errorType"]
    return row if row["request_id"] else None


def parse_reports(events: Iterable[dict | str]) -> pd.DataFrame:
    """One row per REPORT record in `events` (see the module docstring for the columns)."""
    rows = []
    for event in events:
        if isinstance(event, str):
            message, stream, ts = event, None, None
        else:
            message = event.get("message", "")
            stream = event.get("logStreamName")
            ts = event.get("timestamp")
        row = parse_report_line(message)
        if row is None:
            continue
        match = _STREAM.match(stream or "")
        row["log_stream"] = stream
        row["environment_id"] = match.group("env") if match else None
        row["version"] = match.group("version") if match else None
        row["timestamp"] = pd.to_datetime(ts, unit="ms", utc=True) if ts is not None \
            else pd.NaT
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["cold"] = frame["init_duration_ms"].notna() | frame["restore_duration_ms"].notna()
    for column in ("duration_ms", "init_duration_ms", "restore_duration_ms"):
        frame[column] = frame[column].astype("float64")
    for column in ("billed_duration_ms", "memory_size_mb", "max_memory_used_mb"):
        frame[column] = frame[column].astype("Int64")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True) \
        if frame["timestamp"].notna().any() else frame
