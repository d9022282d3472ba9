"""How an execution environment fails, in Lambda's terms: timeout, crash, INIT errors, memory.

Sources: Lambda Developer Guide lambda-runtime-environment (INIT limit 10 s, timeout),
python-exceptions, troubleshooting-invocation (Runtime.ExitError, Runtime.OutOfMemory,
Sandbox.Timedout), runtimes-api (init/error).
"""

from __future__ import annotations

import re
import sys

import pytest

from lab.observe.reports import parse_reports
from lab.offline.lambda_ import processes
from tests.fixtures.lambda_ import (
    SLEEPY,
    deploy,
    environments,
    invocations,
    invoke,
    lab_config,
    lab_get,
    log_events,
    pid_alive,
    wait_until,
)


def _text(cloud, name: str) -> str:
    return "".join(e["message"] for e in log_events(cloud, name))


def test_timeout_kills_the_environment_and_the_next_invoke_is_cold(cloud):
    name = deploy(cloud, SLEEPY, Timeout=1)
    resp = invoke(cloud, name, {"sleep": 30})
    rid = resp["ResponseMetadata"]["RequestId"]
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert resp["body"] == {"errorType": "Sandbox.Timedout",
                            "errorMessage": f"RequestId: {rid} Error: Task timed out after "
                                            "1.00 seconds"}
    text = _text(cloud, name)
    assert re.search(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {rid} Task timed out after "
                     r"1\.00 seconds", text)
    report = parse_reports(log_events(cloud, name, "REPORT")).iloc[0]
    assert report["status"] == "timeout"
    assert report["duration_ms"] >= 1000
    [first] = invocations(cloud, name)
    assert wait_until(lambda: not pid_alive(first["pid"]), 5), "the timed-out process is gone"
    again = invoke(cloud, name, {"sleep": 0})
    assert again["body"] == "done"
    second = invocations(cloud, name)[1]
    assert second["cold"] and second["environment_id"] != first["environment_id"]


def test_crash_is_runtime_exit_error_and_the_environment_is_replaced(cloud):
    name = deploy(cloud, """
        import os

        def handler(event, context):
            if event.get("crash"):
                os._exit(3)
            return "fine"
    """)
    assert invoke(cloud, name)["body"] == "fine"
    resp = invoke(cloud, name, {"crash": True})
    rid = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"] == {"errorType": "Runtime.ExitError",
                            "errorMessage": f"RequestId: {rid} Error: Runtime exited with "
                                            "error: exit status 3"}
    assert f"RequestId: {rid} Error: Runtime exited with error: exit status 3\nRuntime.ExitError" \
        in _text(cloud, name)
    assert invoke(cloud, name)["body"] == "fine"
    records = invocations(cloud, name)
    assert [r["cold"] for r in records] == [True, False, True]
    assert records[2]["environment_id"] != records[0]["environment_id"]


def test_killed_by_a_signal_reports_the_signal(cloud):
    name = deploy(cloud, """
        import os, signal

        def handler(event, context):
            os.kill(os.getpid(), signal.SIGSEGV)
    """)
    body = invoke(cloud, name)["body"]
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: signal: segmentation fault")


def test_import_error_is_runtime_import_module_error(cloud):
    name = deploy(cloud, "import not_a_module_anywhere\n\ndef handler(e, c):\n    return 1\n")
    resp = invoke(cloud, name)
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "Runtime.ImportModuleError"
    assert resp["body"]["errorMessage"] == ("Unable to import module 'app': No module named "
                                            "'not_a_module_anywhere'")
    report = parse_reports(log_events(cloud, name, "REPORT")).iloc[0]
    assert report["cold"] and report["status"] == "error"
    assert report["error_type"] == "Runtime.ImportModuleError"
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'app'" in _text(cloud, name)


def test_missing_handler_function_is_runtime_handler_not_found(cloud):
    name = deploy(cloud, "def something_else(e, c):\n    return 1\n")
    body = invoke(cloud, name)["body"]
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "Handler 'handler' missing on module 'app'"


def test_exception_in_init_code_is_reported_with_its_type(cloud):
    name = deploy(cloud, "raise RuntimeError('config missing')\n\ndef handler(e, c):\n    return 1\n")
    resp = invoke(cloud, name)
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "RuntimeError"
    assert resp["body"]["errorMessage"] == "config missing"
    # every invoke retries INIT in a fresh environment (nothing stays half-initialised)
    invoke(cloud, name)
    records = invocations(cloud, name)
    assert [r["cold"] for r in records] == [True, True]
    assert environments(cloud, name) == []


def test_init_over_the_init_limit_fails_the_invocation(cloud):
    """Lambda's INIT limit is 10 s; the test lowers it to 0.5 s through the lab config."""
    previous = lab_get(cloud, "/_lab/lambda/config")["init_timeout_s"]
    lab_config(cloud, init_timeout_s=0.5)
    try:
        name = deploy(cloud, "import time\ntime.sleep(5)\n\ndef handler(e, c):\n    return 1\n")
        resp = invoke(cloud, name)
    finally:
        lab_config(cloud, init_timeout_s=previous)
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "Sandbox.Timedout"
    assert re.search(r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: timeout",
                     _text(cloud, name))
    assert environments(cloud, name) == []


def test_memory_over_memory_size_is_runtime_out_of_memory(cloud):
    name = deploy(cloud, """
        def handler(event, context):
            blob = b"x" * (event["mb"] * 1024 * 1024)  # touches every page
            return len(blob)
    """, MemorySize=128)
    assert invoke(cloud, name, {"mb": 8})["body"] == 8 * 1024 * 1024
    resp = invoke(cloud, name, {"mb": 220})
    rid = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"] == {"errorType": "Runtime.OutOfMemory",
                            "errorMessage": f"RequestId: {rid} Error: Runtime exited with "
                                            "error: signal: killed"}
    reports = parse_reports(log_events(cloud, name, "REPORT"))
    ok, oom = reports.iloc[0], reports.iloc[1]
    assert ok["max_memory_used_mb"] < 128
    assert oom["error_type"] == "Runtime.OutOfMemory" and oom["status"] == "error"
    assert oom["max_memory_used_mb"] > 128, "the real peak, not the configured size"
    assert invoke(cloud, name, {"mb": 1})["body"] == 1024 * 1024
    assert invocations(cloud, name)[2]["cold"], "the killed environment was replaced"


@pytest.mark.skipif(not sys.platform.startswith("linux") or processes.mode() != "linux",
                    reason="the handler reads Linux's /proc; portable mode samples the peak")
def test_max_memory_used_is_the_process_peak_rss(cloud):
    name = deploy(cloud, """
        def handler(event, context):
            blob = b"x" * (40 * 1024 * 1024)
            with open("/proc/self/status") as fh:
                peak = [l for l in fh if l.startswith("VmHWM")][0].split()[1]
            return int(peak)
    """, MemorySize=256)
    peak_kb = invoke(cloud, name)["body"]
    report = parse_reports(log_events(cloud, name, "REPORT")).iloc[0]
    # seen from outside, the kernel's RSS counters lag a thread's last few page faults
    # (SPLIT_RSS_COUNTING, up to 64 pages): allow 1 MB below, 2 MB above
    assert peak_kb / 1024 - 1 <= report["max_memory_used_mb"] <= peak_kb / 1024 + 2
    assert report["max_memory_used_mb"] >= 40
