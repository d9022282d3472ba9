"""lab.observe.reports: Lambda REPORT lines (as CloudWatch Logs returns them) -> DataFrame."""

from __future__ import annotations

import json
import math

import pandas as pd

from lab.observe.reports import COLUMNS, parse_report_line, parse_reports

STREAM = "2025/01/02/[$LATEST]0123456789abcdef0123456789abcdef"
COLD = ("REPORT RequestId: 11111111-2222-3333-4444-555555555555\tDuration: 15.74 ms\t"
        "Billed Duration: 147 ms\tMemory Size: 128 MB\tMax Memory Used: 56 MB\t"
        "Init Duration: 130.49 ms\t\n")
WARM = ("REPORT RequestId: 66666666-2222-3333-4444-555555555555\tDuration: 3.02 ms\t"
        "Billed Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 57 MB\t\n")
TIMEOUT = ("REPORT RequestId: 77777777-2222-3333-4444-555555555555\tDuration: 3000.00 ms\t"
           "Billed Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t"
           "Status: timeout\n")


def _event(message: str, ts: int, stream: str = STREAM) -> dict:
    return {"logStreamName": stream, "timestamp": ts, "message": message,
            "ingestionTime": ts + 5, "eventId": str(ts)}


def test_cold_report_fields_with_units():
    row = parse_report_line(COLD)
    assert row == {"request_id": "11111111-2222-3333-4444-555555555555", "duration_ms": 15.74,
                   "billed_duration_ms": 147, "memory_size_mb": 128,
                   "max_memory_used_mb": 56, "init_duration_ms": 130.49}


def test_not_a_report_line():
    assert parse_report_line("START RequestId: x Version: $LATEST\n") is None
    assert parse_report_line("hello REPORT world") is None


def test_frame_from_filter_log_events_events():
    events = [_event("START RequestId: 1111 Version: $LATEST\n", 1000),
              _event(COLD, 1200), _event(WARM, 2000), _event(TIMEOUT, 9000),
              _event("END RequestId: 1111\n", 1199)]
    frame = parse_reports(events)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 3
    assert frame["cold"].tolist() == [True, False, False]
    assert frame.loc[0, "init_duration_ms"] == 130.49
    assert math.isnan(frame.loc[1, "init_duration_ms"])
    assert frame.loc[2, "status"] == "timeout"
    assert set(frame["environment_id"]) == {"0123456789abcdef0123456789abcdef"}
    assert set(frame["version"]) == {"$LATEST"}
    assert frame.loc[0, "timestamp"] == pd.Timestamp(1200, unit="ms", tz="UTC")
    assert frame["billed_duration_ms"].tolist() == [147, 4, 3000]


def test_plain_strings_and_error_type():
    oom = ("REPORT RequestId: abc\tDuration: 812.00 ms\tBilled Duration: 813 ms\t"
           "Memory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\t"
           "Error Type: Runtime.OutOfMemory\t")
    frame = parse_reports([oom, "not a report"])
    assert len(frame) == 1
    assert frame.loc[0, "error_type"] == "Runtime.OutOfMemory"
    assert frame.loc[0, "environment_id"] is None
    assert pd.isna(frame.loc[0, "timestamp"])


def test_json_log_format_platform_report():
    record = {"time": "2025-01-02T00:00:00.000Z", "type": "platform.report",
              "record": {"requestId": "r-1", "status": "success",
                         "metrics": {"durationMs": 2.5, "billedDurationMs": 90,
                                     "memorySizeMB": 256, "maxMemoryUsedMB": 70,
                                     "initDurationMs": 87.1}}}
    frame = parse_reports([_event(json.dumps(record), 5)])
    assert frame.loc[0, "request_id"] == "r-1"
    assert frame.loc[0, "cold"]
    assert frame.loc[0, "memory_size_mb"] == 256
    assert frame.loc[0, "status"] is None or pd.isna(frame.loc[0, "status"])


def test_empty_input_has_the_columns():
    frame = parse_reports([])
    assert list(frame.columns) == COLUMNS
    assert frame.empty
