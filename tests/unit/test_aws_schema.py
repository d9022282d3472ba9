"""One experiment code path, two targets: the DataFrame an experiment builds from stubbed AWS
responses (REPORT lines from CloudWatch Logs, SQS message attributes) has the same schema
as the one it builds offline."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from botocore.response import StreamingBody

from lab.experiments.cold_starts import cold_vs_warm
from lab.experiments.redelivery import redelivery
from lab.targets.stubbed import StubbedAwsTarget

A, R = "111122223333", "us-east-1"
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
IDS = ["0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000002"]


@pytest.fixture
def aws(waiter_sleeps):
    return StubbedAwsTarget(R, A)


def payload(body: dict) -> StreamingBody:
    raw = json.dumps(body).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def stub_cold_vs_warm(aws: StubbedAwsTarget):
    iam, logs, lam = aws.stub("iam"), aws.stub("logs"), aws.stub("lambda")
    iam.add_response("create_role", {"Role": {
        "Path": "/serverless-lab/", "RoleName": "coldwarm-x-fn-role", "RoleId": "AROASTUBBEDROLE0001",
        "Arn": f"arn:aws:iam::{A}:role/serverless-lab/coldwarm-x-fn-role", "CreateDate": NOW}})
    logs.add_response("create_log_group", {})
    logs.add_response("put_retention_policy", {})
    iam.add_response("put_role_policy", {})
    lam.add_response("create_function", {"FunctionArn": f"arn:aws:lambda:{R}:{A}:function:f"})
    lam.add_response("get_function", {"Configuration": {"State": "Active"}})
    for n, rid in enumerate(IDS, 1):
        lam.add_response("invoke", {"StatusCode": 200, "Payload": payload({
            "env_started_ms": 1.79e12, "imports_ms": 310.5, "init_code_ms": 0.01,
            "invocation": n, "request_id": rid})})
    stream = "2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef"
    lines = [f"REPORT RequestId: {IDS[0]}\tDuration: 2.10 ms\tBilled Duration: 455 ms\t"
             "Memory Size: 128 MB\tMax Memory Used: 80 MB\tInit Duration: 452.30 ms\t\n",
             f"REPORT RequestId: {IDS[1]}\tDuration: 1.20 ms\tBilled Duration: 2 ms\t"
             "Memory Size: 128 MB\tMax Memory Used: 80 MB\t\n"]
    logs.add_response("filter_log_events", {"events": [
        {"logStreamName": stream, "timestamp": 1_790_000_000_000 + i, "message": m,
         "ingestionTime": 1_790_000_002_000, "eventId": str(i)} for i, m in enumerate(lines)]})
    lam.add_response("delete_function", {})
    logs.add_response("delete_log_group", {})
    iam.add_response("delete_role_policy", {})
    iam.add_response("delete_role", {})


def test_cold_vs_warm_has_the_same_schema_from_aws_report_lines_as_offline(aws, clean_cloud):
    stub_cold_vs_warm(aws)
    on_aws = cold_vs_warm(aws, rounds=1, warm_per_round=1, imports=("json",), timeout_s=5,
                          show_progress=False)
    aws.assert_no_pending_responses()
    offline = cold_vs_warm(clean_cloud, rounds=1, warm_per_round=1, imports=("json",),
                           timeout_s=30, show_progress=False)
    assert list(on_aws.columns) == list(offline.columns)
    assert on_aws.attrs["columns"] == offline.attrs["columns"]
    assert (on_aws.attrs["target"], offline.attrs["target"]) == ("aws", "offline")
    for df in (on_aws, offline):
        assert list(df["start"]) == ["cold", "warm"]
        assert df["init_ms"].iloc[0] > 0 and df["duration_ms"].notna().all()
    assert on_aws["init_ms"].iloc[0] == 452.30 and on_aws["billed_ms"].iloc[0] == 455


def stub_redelivery(aws: StubbedAwsTarget):
    """2 messages, maxReceiveCount 2: m00 processed on its first receive, m01 poison
    (crashes on every receive) until SQS moves it to the DLQ."""
    sqs = aws.stub("sqs")
    base = f"https://sqs.{R}.amazonaws.com/{A}"
    dlq, work = f"{base}/redelivery-x-dlq", f"{base}/redelivery-x-work"
    for url, name in ((dlq, "dlq"), (work, "work")):
        sqs.add_response("create_queue", {"QueueUrl": url})
        sqs.add_response("get_queue_attributes", {"Attributes": {
            "QueueArn": f"arn:aws:sqs:{R}:{A}:redelivery-x-{name}"}})
    for mid in ("mid-0", "mid-1"):
        sqs.add_response("send_message", {"MessageId": mid, "MD5OfMessageBody": "x"})

    def msg(mid, count):
        return {"MessageId": mid, "ReceiptHandle": f"rh-{mid}-{count}", "Body": "{}",
                "Attributes": {"ApproximateReceiveCount": str(count),
                               "SentTimestamp": "1790000000000",
                               "ApproximateFirstReceiveTimestamp": "1790000000100"}}
    sqs.add_response("receive_message", {"Messages": [msg("mid-0", 1), msg("mid-1", 1)]})
    sqs.add_response("delete_message", {})
    sqs.add_response("receive_message", {"Messages": []})  # DLQ poll
    sqs.add_response("receive_message", {"Messages": [msg("mid-1", 2)]})
    sqs.add_response("receive_message", {"Messages": []})
    sqs.add_response("receive_message", {"Messages": []})
    sqs.add_response("receive_message", {"Messages": [msg("mid-1", 3)]})  # in the DLQ
    sqs.add_response("delete_queue", {})
    sqs.add_response("delete_queue", {})


def test_redelivery_has_the_same_schema_from_aws_sqs_attributes_as_offline(aws, clean_cloud):
    params = dict(n_messages=2, visibility_timeout=1, max_receive_count=2, poison_fraction=0.5,
                  failure_rate=0.0, wait_time_seconds=1, seed=0, show_progress=False)
    stub_redelivery(aws)
    on_aws = redelivery(aws, timeout_s=10, **params)
    aws.assert_no_pending_responses()
    offline = redelivery(clean_cloud, timeout_s=60, **params)
    assert list(on_aws.columns) == list(offline.columns)
    assert on_aws.attrs["columns"] == offline.attrs["columns"]
    for df in (on_aws, offline):
        assert df.attrs["accounting"] == {"sent": 2, "processed": 1, "dead_lettered": 1,
                                          "unaccounted": 0}
        poison = df[df["message"] == "m01"]
        assert sorted(poison["event"]) == ["dlq", "receive", "receive", "sent",
                                           "visibility_expired", "visibility_expired"]
        assert list(poison["attempt"][poison["event"] == "receive"]) == [1, 2]
    assert {c: str(t) for c, t in on_aws.dtypes.items()} == \
        {c: str(t) for c, t in offline.dtypes.items()}
