"""CloudWatch Logs ingestion lag (REPORT lines arrive seconds later: poll with a timeout) and
forced cold starts the lambda-perf way, pinned with Stubber."""

from __future__ import annotations

import io

import botocore.waiter
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY

from lab.observe.logs import REPORT_PATTERN, ReportLinesTimeout, wait_for_report_lines
from lab.stack.coldstart import COLD_START_VARIABLE, force_cold_start
from lab.targets.stubbed import StubbedAwsTarget

GROUP = "/aws/lambda/lat-r1-handler"
RID = ["8f5c2d1e-0000-4000-8000-000000000001", "8f5c2d1e-0000-4000-8000-000000000002"]


def report(rid, cold=False):
    line = (f"REPORT RequestId: {rid}\tDuration: 15.74 ms\tBilled Duration: 16 ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 56 MB\t")
    if cold:
        line += "Init Duration: 130.49 ms\t"
    return {"logStreamName": "2026/11/27/[$LATEST]abc", "timestamp": 1_790_000_000_000,
            "message": line + "\n", "ingestionTime": 1_790_000_003_000, "eventId": rid}


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.t += s


def params(token=None):
    p = {"logGroupName": GROUP, "filterPattern": REPORT_PATTERN, "startTime": 1_789_999_990_000}
    if token:
        p["nextToken"] = token
    return p


def test_report_lines_are_polled_until_every_request_id_arrived():
    aws = StubbedAwsTarget()
    logs = aws.stub("logs")
    logs.add_client_error("filter_log_events", "ResourceNotFoundException",
                          "The specified log group does not exist.", 400,
                          expected_params=params())  # the function has not logged yet
    logs.add_response("filter_log_events", {"events": [report(RID[0], cold=True)]}, params())
    logs.add_response("filter_log_events", {"events": [report(RID[0], cold=True)],
                                            "nextToken": "t2"}, params())
    logs.add_response("filter_log_events", {"events": [report(RID[1])]}, params("t2"))
    clock = Clock()
    events = wait_for_report_lines(aws.client("logs"), GROUP, start_time_ms=1_789_999_990_000,
                                   request_ids=RID, poll_every=2, sleep=clock.sleep, clock=clock)
    aws.assert_no_pending_responses()
    assert [e["eventId"] for e in events] == RID
    assert clock.t == 4.0  # two polls waited for the lag


def test_missing_report_lines_time_out_with_what_did_arrive():
    aws = StubbedAwsTarget()
    for _ in range(4):
        aws.stub("logs").add_response("filter_log_events", {"events": [report(RID[0])]}, params())
    clock = Clock()
    with pytest.raises(ReportLinesTimeout, match="1 request id") as err:
        wait_for_report_lines(aws.client("logs"), GROUP, start_time_ms=1_789_999_990_000,
                              request_ids=RID, timeout=6, poll_every=2, sleep=clock.sleep,
                              clock=clock)
    assert [e["eventId"] for e in err.value.events] == [RID[0]]
    assert clock.t == 6.0


def test_a_forced_cold_start_bumps_an_environment_variable_waits_and_invokes(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", waits.append)
    aws = StubbedAwsTarget()
    lam = aws.stub("lambda")
    lam.add_response("get_function_configuration", {"FunctionName": "f", "Environment": {
        "Variables": {"KEEP": "me"}}}, {"FunctionName": "f"})
    lam.add_response("update_function_configuration", {"LastUpdateStatus": "InProgress"}, {
        "FunctionName": "f", "Environment": {"Variables": {"KEEP": "me",
                                                           COLD_START_VARIABLE: "m1"}}})
    lam.add_response("get_function", {"Configuration": {"LastUpdateStatus": "InProgress"}},
                     {"FunctionName": "f"})
    lam.add_response("get_function", {"Configuration": {"LastUpdateStatus": "Successful"}},
                     {"FunctionName": "f"})
    lam.add_response("invoke", {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(b'"ok"'), 4),
                                "ResponseMetadata": {"RequestId": RID[0], "HTTPStatusCode": 200}},
                     {"FunctionName": "f", "InvocationType": "RequestResponse", "Payload": ANY})
    out = force_cold_start(aws.client("lambda"), "f", marker="m1", waiter_delay=1)
    aws.assert_no_pending_responses()
    assert out["request_id"] == RID[0] and out["payload"] == b'"ok"'
    assert [op for _, op, _ in aws.calls] == ["GetFunctionConfiguration",
                                              "UpdateFunctionConfiguration", "GetFunction",
                                              "GetFunction", "Invoke"]
    assert waits == [1]


def test_experiments_wait_for_the_report_line_of_each_request_id_they_invoked():
    from lab.observe import logs as lambda_logs

    aws = StubbedAwsTarget()
    logs = aws.stub("logs")
    logs.add_response("filter_log_events", {"events": [report(RID[0], cold=True)]}, params())
    logs.add_response("filter_log_events", {"events": [report(RID[0], cold=True),
                                                       report(RID[1])]}, params())
    frame = lambda_logs.reports(aws, "lat-r1-handler", start_ms=1_789_999_990_000,
                                request_ids=RID, timeout_s=30)
    aws.assert_no_pending_responses()
    by_id = lambda_logs.reports_by_id(frame)
    assert list(by_id) == RID
    assert by_id[RID[0]]["start"] == "cold" and by_id[RID[0]]["init_duration_ms"] == 130.49
    assert by_id[RID[1]]["start"] == "warm" and by_id[RID[1]]["init_duration_ms"] is None


def test_experiments_keep_the_report_lines_that_arrived_before_the_timeout():
    from lab.observe import logs as lambda_logs

    aws = StubbedAwsTarget()
    for _ in range(6):
        aws.stub("logs").add_response("filter_log_events", {"events": [report(RID[0])]},
                                      params())
    frame = lambda_logs.reports(aws, "lat-r1-handler", start_ms=1_789_999_990_000,
                                request_ids=RID, timeout_s=0.6)
    assert frame["request_id"].tolist() == [RID[0]]
