"""lab.offline.lambda_.outcome: what an invocation's environment reported -> Invoke's
answer, the closing log lines (END, REPORT) and the invocation record. No processes.

REPORT as Lambda writes it (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html):
`REPORT RequestId: <id>\tDuration: 2.89 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t
Max Memory Used: 40 MB\t` with `Init Duration` on the first invocation of an environment.
"""

from __future__ import annotations

import json

import pytest

from lab.offline.lambda_.environments import FunctionSpec
from lab.offline.lambda_.outcome import (
    Outcome,
    conclude,
    exit_description,
    init_report_line,
    max_memory_used_mb,
)

RID = "11111111-2222-3333-4444-555555555555"
SPEC = FunctionSpec(account_id="123456789012", region="us-east-1", name="fn",
                    arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
                    version="$LATEST", handler="app.handler", runtime="python3.12",
                    memory_mb=128, timeout_s=3.0, env_vars=(), code_sha="abc", reserved=None)


def outcome(ended: str, **fields) -> Outcome:
    fields.setdefault("duration_ms", 2.5)
    fields.setdefault("peak_kb", 40 * 1024)
    return Outcome(request_id=RID, ended=ended, environment_id="e" * 32,
                   log_stream="2025/01/02/[$LATEST]" + "e" * 32, pid=4242,
                   start_ms=1_700_000_000_000, end_ms=1_700_000_000_003, **fields)


def report_fields(report: str) -> dict[str, str]:
    assert report.startswith(f"REPORT RequestId: {RID}\t") and report.endswith("\t")
    return dict(part.split(": ", 1) for part in report.rstrip("\t").split("\t")[1:])


def error_document(payload: bytes) -> dict:
    return json.loads(payload)


# -- the answer ---------------------------------------------------------------------------
def test_success_returns_the_handlers_response_with_no_function_error():
    done = conclude(SPEC, outcome("response", body=b'{"ok": true}'))
    r = done.result
    assert (r.status, r.payload, r.function_error, r.error_type) == (
        200, b'{"ok": true}', None, None)
    assert (r.request_id, r.executed_version, r.log_tail) == (RID, "$LATEST", None)
    assert done.log_lines == [f"END RequestId: {RID}", done.report]
    assert "Status" not in report_fields(done.report)


def test_handled_error_is_unhandled_function_error_with_the_documents_error_type():
    """A handler exception: 200, X-Amz-Function-Error: Unhandled, the runtime's error
    document as the payload; its errorType names the error."""
    body = json.dumps({"errorMessage": "'k'", "errorType": "KeyError",
                       "stackTrace": []}).encode()
    r = conclude(SPEC, outcome("error", body=body, error_type="Runtime.Whatever")).result
    assert (r.status, r.payload, r.function_error, r.error_type) == (
        200, body, "Unhandled", "KeyError")


def test_error_without_an_error_document_takes_the_runtime_header_or_runtime_unknown():
    assert conclude(SPEC, outcome("error", body=b"not json", error_type="Runtime.Custom")
                    ).result.error_type == "Runtime.Custom"
    assert conclude(SPEC, outcome("error", body=b"[1]")).result.error_type == "Runtime.Unknown"


def test_response_over_6_mb_is_function_response_size_too_large():
    """Lambda's message names 6291556 bytes (what AWS answers; Lambda quotas say 6 MB)."""
    assert conclude(SPEC, outcome("response", body=b"x" * 6_291_556)).result.error_type is None
    r = conclude(SPEC, outcome("response", body=b"x" * 6_291_557)).result
    assert (r.function_error, r.error_type) == ("Unhandled", "Function.ResponseSizeTooLarge")
    assert "Response payload size exceeded maximum allowed payload size (6291556 bytes)." \
        == error_document(r.payload)["errorMessage"]


def test_runtime_exiting_on_its_own_is_exited_without_providing_a_reason():
    """A handler calling sys.exit(0): AWS answers Runtime.ExitError with this message."""
    done = conclude(SPEC, outcome("exited", exit_status=0))
    assert done.result.error_type == "Runtime.ExitError"
    assert error_document(done.result.payload)["errorMessage"] == (
        f"RequestId: {RID} Error: Runtime exited without providing a reason")


def test_timeout_is_sandbox_timedout_task_timed_out_after_n_seconds():
    done = conclude(SPEC, outcome("timeout", duration_ms=2999.2, ended_ms=1_700_000_000_123))
    r = done.result
    assert (r.function_error, r.error_type) == ("Unhandled", "Sandbox.Timedout")
    assert error_document(r.payload) == {
        "errorMessage": f"RequestId: {RID} Error: Task timed out after 3.00 seconds",
        "errorType": "Sandbox.Timedout"}
    assert done.log_lines[0] == (f"2023-11-14T22:13:20.123Z {RID} Task timed out after "
                                 "3.00 seconds")
    fields = report_fields(done.report)
    assert fields["Duration"] == "3000.00 ms", "at least the function's Timeout"
    assert fields["Status"] == "timeout" and "Error Type" not in fields
    assert done.record["duration_ms"] == 3000.0


def test_runtime_exit_is_runtime_exit_error_with_the_exit_status():
    done = conclude(SPEC, outcome("exited", exit_status=3))
    r = done.result
    assert (r.function_error, r.error_type) == ("Unhandled", "Runtime.ExitError")
    assert error_document(r.payload)["errorMessage"] == (
        f"RequestId: {RID} Error: Runtime exited with error: exit status 3")
    assert done.log_lines[0] == (f"RequestId: {RID} Error: Runtime exited with error: "
                                 "exit status 3\nRuntime.ExitError")
    fields = report_fields(done.report)
    assert (fields["Status"], fields["Error Type"]) == ("error", "Runtime.ExitError")


def test_killed_for_memory_is_runtime_out_of_memory():
    done = conclude(SPEC, outcome("exited", exit_status=-9, oom=True, peak_kb=140 * 1024))
    assert done.result.error_type == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in \
        error_document(done.result.payload)["errorMessage"]
    fields = report_fields(done.report)
    assert (fields["Status"], fields["Error Type"]) == ("error", "Runtime.OutOfMemory")
    assert fields["Max Memory Used"] == "140 MB", "the real peak, not Memory Size"


def test_exit_not_seen_reads_as_killed():
    assert exit_description(-9) == "signal: killed"
    done = conclude(SPEC, outcome("exited"))
    assert "signal: killed" in error_document(done.result.payload)["errorMessage"]


@pytest.mark.parametrize(("code", "text"), [
    (0, "exit status 0"), (1, "exit status 1"), (-11, "signal: segmentation fault"),
    (-6, "signal: aborted"), (-15, "signal: terminated")])
def test_exit_descriptions_as_lambda_words_them(code, text):
    assert exit_description(code) == text


# -- INIT failures ------------------------------------------------------------------------
def test_init_error_answers_with_the_runtimes_init_error_document():
    body = json.dumps({"errorMessage": "Unable to import module 'app': No module named 'x'",
                       "errorType": "Runtime.ImportModuleError"}).encode()
    done = conclude(SPEC, outcome("init_error", body=body, cold=True, init_ms=80.0,
                                  duration_ms=0.0))
    r = done.result
    assert (r.payload, r.function_error, r.error_type) == (
        body, "Unhandled", "Runtime.ImportModuleError")
    fields = report_fields(done.report)
    assert fields["Init Duration"] == "80.00 ms"
    assert (fields["Status"], fields["Error Type"]) == ("error", "Runtime.ImportModuleError")
    assert done.log_lines == [f"END RequestId: {RID}", done.report], "no runtime-exit line"


def test_init_error_type_falls_back_to_header_then_runtime_unknown():
    assert conclude(SPEC, outcome("init_error", body=b"?", error_type="Runtime.X", cold=True,
                                  init_ms=1.0)).result.error_type == "Runtime.X"
    assert conclude(SPEC, outcome("init_error", body=b"?", cold=True, init_ms=1.0)
                    ).result.error_type == "Runtime.Unknown"


def test_init_timeout_is_sandbox_timedout():
    done = conclude(SPEC, outcome("init_timeout", cold=True, init_ms=500.4, init_timeout_s=0.5,
                                  duration_ms=0.0))
    assert done.result.error_type == "Sandbox.Timedout"
    assert error_document(done.result.payload)["errorMessage"] == (
        f"RequestId: {RID} Error: INIT phase timed out after 0.50 seconds")
    assert report_fields(done.report)["Status"] == "error"
    assert init_report_line(500.4, "timeout") == (
        "INIT_REPORT Init Duration: 500.40 ms\tPhase: init\tStatus: timeout")


def test_runtime_exit_during_init():
    done = conclude(SPEC, outcome("init_exited", exit_status=1, cold=True, init_ms=30.0))
    assert done.result.error_type == "Runtime.ExitError"
    assert done.log_lines[0].startswith("END "), "the exit line belongs to invocations only"


# -- REPORT and the record ------------------------------------------------------------------
def test_report_fields_in_lambdas_order_and_units():
    done = conclude(SPEC, outcome("response", body=b"{}", duration_ms=2.891, peak_kb=40_000))
    assert done.report == (f"REPORT RequestId: {RID}\tDuration: 2.89 ms\tBilled Duration: 3 ms"
                           "\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t")


@pytest.mark.parametrize(("duration", "billed"), [(2.001, 3), (3.0, 3), (0.2, 1)])
def test_billed_duration_rounds_up_to_the_next_millisecond(duration, billed):
    done = conclude(SPEC, outcome("response", duration_ms=duration))
    assert report_fields(done.report)["Billed Duration"] == f"{billed} ms"
    assert done.record["billed_duration_ms"] == billed


def test_init_duration_only_on_cold_starts_and_billed_with_it():
    cold = conclude(SPEC, outcome("response", cold=True, init_ms=120.25, duration_ms=3.5))
    warm = conclude(SPEC, outcome("response", cold=False, duration_ms=3.5))
    assert report_fields(cold.report)["Init Duration"] == "120.25 ms"
    assert report_fields(cold.report)["Billed Duration"] == "124 ms"  # ceil(3.5 + 120.25)
    assert "Init Duration" not in report_fields(warm.report)
    assert report_fields(warm.report)["Billed Duration"] == "4 ms"
    assert (cold.record["init_duration_ms"], warm.record["init_duration_ms"]) == (120.25, None)


def test_max_memory_used_is_peak_rss_in_mb_rounded_up():
    assert [max_memory_used_mb(kb) for kb in (None, 0, 1, 1024, 1025)] == [0, 0, 1, 1, 2]
    done = conclude(SPEC, outcome("response", peak_kb=50 * 1024 + 1))
    assert report_fields(done.report)["Max Memory Used"] == "51 MB"
    assert report_fields(done.report)["Memory Size"] == "128 MB"


def test_record_describes_the_invocation():
    breakdown = {"init_total_ms": 100.0}
    record = conclude(SPEC, outcome("response", cold=True, init_ms=100.0, duration_ms=1.2345,
                                    init_breakdown_ms=breakdown, source="async")).record
    assert record == {
        "request_id": RID, "function": "fn", "version": "$LATEST", "region": "us-east-1",
        "environment_id": "e" * 32, "log_stream": "2025/01/02/[$LATEST]" + "e" * 32,
        "pid": 4242, "cold": True, "init_duration_ms": 100.0,
        "init_breakdown_ms": breakdown, "start_ms": 1_700_000_000_000,
        "end_ms": 1_700_000_000_003, "duration_ms": 1.234, "billed_duration_ms": 102,
        "memory_size_mb": 128, "max_memory_used_mb": 40, "function_error": None,
        "error_type": None, "source": "async"}


def test_unknown_ending_is_refused():
    with pytest.raises(ValueError):
        conclude(SPEC, outcome("vanished"))


def test_snapstart_restore_replaces_init_duration_in_report():
    """snapstart-monitoring.html: a restored environment's REPORT has Restore Duration and
    Billed Restore Duration, no Init Duration; Billed Duration is the handler's."""
    done = conclude(SPEC, outcome("response", cold=True, init_ms=30.0, duration_ms=1.2,
                                  restore=(30.456, 12)))
    fields = report_fields(done.report)
    assert "Init Duration" not in fields
    assert fields["Restore Duration"] == "30.46 ms"
    assert fields["Billed Restore Duration"] == "12 ms"
    assert fields["Billed Duration"] == "2 ms"
    assert done.report.index("Max Memory Used") < done.report.index("Restore Duration")
    assert done.record["restore_duration_ms"] == 30.456
    assert done.record["billed_restore_duration_ms"] == 12
    assert done.record["init_duration_ms"] is None
