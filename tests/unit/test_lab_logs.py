"""`lab logs <function>`: a function's log lines as `aws logs tail` prints them, read from a
real `lab serve` (offline) or, with `--target aws` only, from an account (stubbed here)."""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import sys
import threading
import uuid

import pytest

from lab import cli
from lab.cli import logs as logs_cli
from lab.targets import OfflineTarget
from lab.targets.stubbed import StubbedAwsTarget
from tests.fixtures.lambda_ import deploy, invoke, wait_until

# aws logs tail's default format: ISO timestamp (UTC), log stream, message
TAIL_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (\S+) (.*)$")

PRINTER = """
def handler(event, context):
    print("marker", event["marker"], flush=True)
    return "ok"
"""


def lab_logs(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab", "logs", *argv], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, **(env or {})))


@pytest.fixture
def printer(clean_cloud) -> str:
    return deploy(clean_cloud, PRINTER, name=f"printer-{uuid.uuid4().hex[:6]}")


def test_prints_the_functions_lines_like_aws_logs_tail(clean_cloud, printer):
    marker = uuid.uuid4().hex
    invoke(clean_cloud, printer, {"marker": marker})

    def logged():
        done = lab_logs(printer, "--endpoint-url", clean_cloud.endpoint_url)
        return done if f"marker {marker}" in done.stdout else None

    done = wait_until(logged, 20, interval=0.5, what="the handler's line in lab logs")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    parsed = [TAIL_LINE.match(line) for line in lines]
    assert all(parsed), lines
    messages = [m.group(2) for m in parsed]
    assert messages[0].startswith("INIT_START Runtime Version:")  # a cold start, as on AWS
    assert next(m for m in messages if not m.startswith(("INIT_START", "lab: "))) \
        .startswith("START RequestId:")
    assert any(m.startswith("REPORT RequestId:") for m in messages)
    streams = {m.group(1) for m in parsed}
    group_streams = clean_cloud.client("logs").describe_log_streams(
        logGroupName=f"/aws/lambda/{printer}")["logStreams"]
    assert streams <= {s["logStreamName"] for s in group_streams}


def test_reads_lab_endpoint_url_and_since(clean_cloud, printer):
    invoke(clean_cloud, printer, {"marker": "old"})
    env = {"LAB_ENDPOINT_URL": clean_cloud.endpoint_url}
    wait_until(lambda: "marker old" in lab_logs(printer, env=env).stdout, 20, interval=0.5,
               what="the line through LAB_ENDPOINT_URL")
    assert lab_logs(printer, "--since", "0s", env=env).stdout == ""


def test_follow_prints_new_lines_as_they_come(clean_cloud, printer):
    invoke(clean_cloud, printer, {"marker": "first"})
    proc = subprocess.Popen([sys.executable, "-m", "lab", "logs", printer, "--follow",
                             "--endpoint-url", clean_cloud.endpoint_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                     daemon=True).start()
    seen: list[str] = []

    def saw(text: str) -> bool:
        while not lines.empty():
            seen.append(lines.get())
        return any(text in line for line in seen)

    try:
        wait_until(lambda: saw("marker first"), 30, interval=0.2, what="the first line")
        invoke(clean_cloud, printer, {"marker": "second"})
        wait_until(lambda: saw("marker second"), 30, interval=0.2, what="a line logged later")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert sum("marker first" in line for line in seen) == 1, "no line printed twice"


def test_a_function_that_never_logged_is_a_clear_error(clean_cloud):
    done = lab_logs("no-such-function", "--endpoint-url", clean_cloud.endpoint_url)
    assert done.returncode == 1
    assert "log group /aws/lambda/no-such-function does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_offline_is_the_default_and_aws_is_never_chosen_implicitly(monkeypatch):
    monkeypatch.setenv("LAB_TARGET", "aws")
    monkeypatch.delenv("LAB_ENDPOINT_URL", raising=False)
    args = cli._parser().parse_args(["logs", "fn"])
    target = logs_cli.make_target(args)
    assert isinstance(target, OfflineTarget)
    assert target.endpoint_url == "http://127.0.0.1:4566"
    args = cli._parser().parse_args(["logs", "fn", "--target", "aws", "--endpoint-url",
                                     "http://127.0.0.1:4566"])
    with pytest.raises(SystemExit, match="--endpoint-url is for the offline target"):
        logs_cli.make_target(args)
    err = io.StringIO()
    args = cli._parser().parse_args(["logs", "fn", "--endpoint-url", "https://logs.amazonaws.com"])
    assert logs_cli.main(args, err=err) == 2
    assert "must be on loopback" in err.getvalue()


def test_aws_target_reads_without_an_opt_in(monkeypatch):
    monkeypatch.delenv("LAB_AWS_CONFIRM", raising=False)
    target = StubbedAwsTarget("eu-west-1")
    monkeypatch.setattr(logs_cli, "make_target", lambda args: target)
    target.stub("logs").add_response("filter_log_events", {"events": [
        {"logStreamName": "2024/01/02/[$LATEST]abc", "timestamp": 1704196800123,
         "message": "START RequestId: r1 Version: $LATEST\n", "eventId": "1"},
        {"logStreamName": "2024/01/02/[$LATEST]abc", "timestamp": 1704196800456,
         "message": "hello\n", "eventId": "2"}]})
    out = io.StringIO()
    args = cli._parser().parse_args(["logs", "fn", "--target", "aws"])
    assert logs_cli.main(args, out=out, clock=lambda: 1704197000.0) == 0
    assert out.getvalue().splitlines() == [
        "2024-01-02T12:00:00.123000+00:00 2024/01/02/[$LATEST]abc START RequestId: r1 Version: $LATEST",
        "2024-01-02T12:00:00.456000+00:00 2024/01/02/[$LATEST]abc hello"]
    assert target.calls[0][2]["logGroupName"] == "/aws/lambda/fn"
    assert target.calls[0][2]["startTime"] == (1704197000 - 600) * 1000
    assert target.operations() == [("logs", "FilterLogEvents")], "read-only: nothing else"
