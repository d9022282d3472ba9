"""The per-message lifecycle record `lab serve` keeps, and the guard on moto's version.

The record is the lab's (AWS keeps none): it must state what SQS did, in SQS terms - the
receive count of each attempt, the visibility timeout in force, when the message became
visible again, deleted, moved to the DLQ and back.
"""

from __future__ import annotations

import json
import time
import uuid

import pandas as pd
import pytest

from lab.observe.lifecycle import BASE_COLUMNS, LifecycleUnavailable, fetch_lifecycle
from lab.offline.server import LabServer
from lab.targets import OfflineTarget
from tests.fixtures.common import queue_arn, unique_queue


def test_a_retried_message_has_sent_received_visible_again_received_deleted(cloud):
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "life", VisibilityTimeout=1)
    message_id = sqs.send_message(QueueUrl=url, MessageBody="x")["MessageId"]
    sqs.receive_message(QueueUrl=url)
    msg = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])

    frame = fetch_lifecycle(cloud, url)
    assert list(frame.columns[:len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert list(frame["event"]) == ["sent", "received", "visible_again", "received", "deleted"]
    assert set(frame["message_id"]) == {message_id}
    received = frame[frame["event"] == "received"]
    assert list(received["receive_count"]) == [1, 2]
    assert list(received["visibility_timeout_s"]) == [1, 1]
    first, back = received.iloc[0], frame[frame["event"] == "visible_again"].iloc[0]
    assert back["time_ms"] == pytest.approx(first["visible_at_ms"])
    assert back["time_ms"] - first["time_ms"] == pytest.approx(1000, abs=1)
    assert frame["time_ms"].is_monotonic_increasing
    assert isinstance(frame["time"].dtype, pd.DatetimeTZDtype)
    assert frame["receiver"].iloc[1].startswith("http:")


def test_dlq_moves_are_recorded_on_both_queues(cloud):
    sqs = cloud.client("sqs")
    dlq = unique_queue(sqs, "life-dlq")
    dlq_arn = queue_arn(sqs, dlq)
    src = unique_queue(sqs, "life-src", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)  # count 1 = max: moves instead
    assert list(fetch_lifecycle(cloud, src)["event"]) == [
        "sent", "received", "visible_again", "moved_to_dlq"]
    assert list(fetch_lifecycle(cloud, dlq)["event"]) == ["arrived_from_source"]
    sqs.start_message_move_task(SourceArn=dlq_arn)
    deadline = time.monotonic() + 10
    while "moved_in" not in set(fetch_lifecycle(cloud, src)["event"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    moved_in = fetch_lifecycle(cloud, src).iloc[-1]
    moved_out = fetch_lifecycle(cloud, dlq).iloc[-1]
    assert moved_out["event"] == "moved_out"
    assert moved_out["new_message_id"] == moved_in["message_id"]
    assert moved_in["original_message_id"] == moved_out["message_id"]


def test_fetch_lifecycle_refuses_the_aws_target():
    class AwsLike:
        is_offline = False

    with pytest.raises(LifecycleUnavailable, match="handlers"):
        fetch_lifecycle(AwsLike(), "https://sqs.us-east-1.amazonaws.com/1/q")


@pytest.fixture(scope="module")
def in_process():
    """A `lab serve` in this process, so the test can call moto's backend directly."""
    with LabServer(port=0, extensions=["lab.offline.sqs"]) as server:
        yield server


def test_in_process_receives_carry_the_receiver_label_and_annotations(in_process):
    from moto.sqs.models import sqs_backends

    target = OfflineTarget(in_process.url)
    sqs = target.client("sqs")
    name = f"esm-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    message_id = sqs.send_message(QueueUrl=url, MessageBody="batch me")["MessageId"]
    backend = sqs_backends[target.account_id][target.region]
    [msg] = backend.receive_message(name, 10, 1, 30, ["All"], receiver="esm-1/poller-0")
    lifecycle = in_process.app.services["sqs_lifecycle"]
    assert lifecycle.annotate(message_id, invocation_request_id="req-1") is True
    assert lifecycle.annotate("never-received", x=1) is False
    backend.delete_message(name, msg.receipt_handle)
    frame = fetch_lifecycle(target, name)
    received = frame[frame["event"] == "received"].iloc[0]
    assert received["receiver"] == "esm-1/poller-0"
    assert received["invocation_request_id"] == "req-1"
    assert frame["event"].iloc[-1] == "deleted"


def test_reset_forgets_lifecycle_and_deduplication(in_process):
    target = OfflineTarget(in_process.url)
    sqs = target.client("sqs")
    attrs = {"FifoQueue": "true"}
    url = sqs.create_queue(QueueName="reset-me.fifo", Attributes=attrs)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g",
                     MessageDeduplicationId="d")
    target.reset()
    assert fetch_lifecycle(target, url).empty
    url = sqs.create_queue(QueueName="reset-me.fifo", Attributes=attrs)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g",
                     MessageDeduplicationId="d")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "a"


def test_health_lists_the_active_sqs_fixes(cloud):
    fixes = cloud.health()["sqs_fixes"]
    assert fixes["moto_verified"] == "5.2.5"
    assert fixes["moto_source_changed"] == []
    assert {"message_store", "send_message", "message_size", "redrive_allow_policy"} \
        <= set(fixes["active"])


def test_moto_is_the_version_the_sqs_fixes_were_verified_against():
    """Fails loudly after a moto upgrade: re-verify the subclasses in lab/offline/sqs/models.py
    against the new moto, then record the new source hashes in lab/offline/sqs/guard.py."""
    import moto

    from lab.offline.sqs import guard

    assert moto.__version__ == guard.MOTO_VERIFIED, (
        f"moto {moto.__version__} != {guard.MOTO_VERIFIED}: re-verify lab/offline/sqs")
    assert guard.changed_moto_functions() == [], (
        "moto's SQS code changed under the lab's fixes: re-verify them")
    assert set(guard.MOTO_SOURCE_SHA256) == set(guard._SOURCES)


def test_visible_again_is_recorded_at_the_expiry_even_without_a_poll(cloud):
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "life", VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.receive_message(QueueUrl=url)
    time.sleep(1.2)
    frame = fetch_lifecycle(cloud, url)
    assert list(frame["event"]) == ["sent", "received", "visible_again"]
    assert frame["time_ms"].iloc[2] == pytest.approx(frame["visible_at_ms"].iloc[1])
