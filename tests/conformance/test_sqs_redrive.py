"""Dead-letter queues: RedriveAllowPolicy, the move to the DLQ, and DLQ redrive tasks.

AWS (SQS Developer Guide sqs-dead-letter-queues, API SetQueueAttributes,
StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask):
- a DLQ's RedriveAllowPolicy (allowAll, denyAll, byQueue + sourceQueueArns) decides which
  source queues may name it in their RedrivePolicy; GetQueueAttributes returns it;
- a message whose receive count exceeds maxReceiveCount moves to the DLQ;
- a move task redrives a DLQ's messages to their original source queue (no
  DestinationArn) or to a chosen queue, at MaxNumberOfMessagesPerSecond (1..500); one
  running task per source; statuses RUNNING, COMPLETED, CANCELLED, FAILED.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.common import client_error, queue_arn, unique_queue, wait_until


def _queue(sqs, prefix="q", **attributes):
    url = unique_queue(sqs, prefix, **attributes)
    return url, queue_arn(sqs, url)


def _redrive(dlq_arn, max_receive_count=1):
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def test_redrive_allow_policy_is_returned_by_get_queue_attributes(cloud):
    sqs = cloud.client("sqs")
    policy = json.dumps({"redrivePermission": "denyAll"})
    url, _ = _queue(sqs, "dlq", RedriveAllowPolicy=policy)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])
    assert json.loads(attrs["Attributes"]["RedriveAllowPolicy"]) == {"redrivePermission": "denyAll"}
    everything = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "RedriveAllowPolicy" in everything


def test_deny_all_refuses_every_source_queue(cloud):
    sqs = cloud.client("sqs")
    _, dlq_arn = _queue(sqs, "dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    src, _ = _queue(sqs, "src")
    err = client_error(lambda: sqs.set_queue_attributes(
        QueueUrl=src, Attributes={"RedrivePolicy": _redrive(dlq_arn)}))
    assert err.code == "InvalidParameterValue"
    assert err.status == 400
    assert "RedrivePolicy" not in sqs.get_queue_attributes(
        QueueUrl=src, AttributeNames=["All"])["Attributes"]


def test_by_queue_allows_only_the_listed_source_queues(cloud):
    sqs = cloud.client("sqs")
    allowed, allowed_arn = _queue(sqs, "src")
    other, _ = _queue(sqs, "other")
    _, dlq_arn = _queue(sqs, "dlq", RedriveAllowPolicy=json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [allowed_arn]}))
    sqs.set_queue_attributes(QueueUrl=allowed, Attributes={"RedrivePolicy": _redrive(dlq_arn)})
    err = client_error(lambda: sqs.set_queue_attributes(
        QueueUrl=other, Attributes={"RedrivePolicy": _redrive(dlq_arn)}))
    assert err.code == "InvalidParameterValue"


@pytest.mark.parametrize("policy", [
    {"redrivePermission": "sometimes"},
    {"redrivePermission": "byQueue"},
    {"redrivePermission": "denyAll", "sourceQueueArns": ["arn:aws:sqs:us-east-1:1:x"]},
])
def test_an_invalid_redrive_allow_policy_is_rejected(cloud, policy):
    sqs = cloud.client("sqs")
    err = client_error(lambda: _queue(sqs, "dlq", RedriveAllowPolicy=json.dumps(policy)))
    assert err.code == "InvalidParameterValue"


def _dead_letter(sqs, count, max_receive_count=1):
    """A source queue whose `count` messages have all moved to its DLQ."""
    dlq, dlq_arn = _queue(sqs, "dlq")
    src, src_arn = _queue(sqs, "src", RedrivePolicy=_redrive(dlq_arn, max_receive_count))
    for i in range(count):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    for _ in range(count * (max_receive_count + 1)):
        sqs.receive_message(QueueUrl=src, VisibilityTimeout=0, MaxNumberOfMessages=10)
    assert _depth(sqs, src) == 0
    assert _depth(sqs, dlq) == count
    return src, src_arn, dlq, dlq_arn


def _depth(sqs, url) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def _wait_status(sqs, source_arn, status, timeout=20.0) -> dict:
    def task():
        result = sqs.list_message_move_tasks(SourceArn=source_arn)["Results"][0]
        return result if result["Status"] == status else None
    return wait_until(task, timeout, what=f"move task {status}")


def test_a_message_received_more_than_max_receive_count_times_moves_to_the_dlq(cloud):
    sqs = cloud.client("sqs")
    src, _, dlq, _ = _dead_letter(sqs, 1, max_receive_count=2)
    msg = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert msg["Body"] == "m0"
    assert int(msg["Attributes"]["ApproximateReceiveCount"]) == 3  # 2 in the source + this one


def test_a_message_moved_to_the_dlq_carries_its_source_queue_arn(cloud):
    # System attribute DeadLetterQueueSourceArn = the source queue's ARN, returned for "All"
    # or its name (API ReceiveMessage, MessageSystemAttributeNames; LocalStack's
    # tests/aws/services/sqs/test_sqs.snapshot.json, test_dead_letter_queue_message_attributes,
    # recorded against AWS: "DeadLetterQueueSourceArn": the source queue's ARN, same
    # MessageId, ApproximateReceiveCount 2 with maxReceiveCount 1).
    sqs = cloud.client("sqs")
    src, src_arn, dlq, _ = _dead_letter(sqs, 1)
    everything = sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0, AttributeNames=["All"])
    assert everything["Messages"][0]["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
    assert everything["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"
    by_name = sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0,
                                  MessageSystemAttributeNames=["DeadLetterQueueSourceArn"])
    assert by_name["Messages"][0]["Attributes"] == {"DeadLetterQueueSourceArn": src_arn}
    unasked = sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0,
                                  MessageSystemAttributeNames=["SentTimestamp"])
    assert "DeadLetterQueueSourceArn" not in unasked["Messages"][0]["Attributes"]
    sqs.send_message(QueueUrl=src, MessageBody="never dead-lettered")
    fresh = sqs.receive_message(QueueUrl=src, AttributeNames=["All"])["Messages"][0]
    assert "DeadLetterQueueSourceArn" not in fresh["Attributes"]


def test_move_task_redrives_to_the_original_source_queue(cloud):
    sqs = cloud.client("sqs")
    src, _, dlq, dlq_arn = _dead_letter(sqs, 3)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    done = _wait_status(sqs, dlq_arn, "COMPLETED")
    assert done["Status"] == "COMPLETED"
    assert done["ApproximateNumberOfMessagesMoved"] == 3
    assert done["ApproximateNumberOfMessagesToMove"] == 3
    assert "TaskHandle" not in done and "DestinationArn" not in done
    assert isinstance(done["StartedTimestamp"], int)
    assert _depth(sqs, dlq) == 0
    bodies = sorted(m["Body"] for m in sqs.receive_message(
        QueueUrl=src, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["m0", "m1", "m2"]
    assert handle


def test_move_task_to_a_chosen_destination_at_a_fixed_rate(cloud):
    sqs = cloud.client("sqs")
    _, _, dlq, dlq_arn = _dead_letter(sqs, 4)
    dest, dest_arn = _queue(sqs, "dest")
    started = time.monotonic()
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn,
                                MaxNumberOfMessagesPerSecond=4)
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert running["Status"] == "RUNNING" and running["TaskHandle"]
    assert running["MaxNumberOfMessagesPerSecond"] == 4
    assert running["DestinationArn"] == dest_arn
    done = _wait_status(sqs, dlq_arn, "COMPLETED")
    elapsed = time.monotonic() - started
    assert done["ApproximateNumberOfMessagesMoved"] == 4
    assert elapsed >= 0.7  # 4 messages at 4/s: the first at once, the last 0.75 s later
    assert _depth(sqs, dest) == 4


def test_cancel_stops_a_running_task_and_leaves_the_rest_in_the_dlq(cloud):
    sqs = cloud.client("sqs")
    _, _, dlq, dlq_arn = _dead_letter(sqs, 10)
    dest, dest_arn = _queue(sqs, "dest")
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn,
                                         MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
    time.sleep(0.6)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 1 <= moved < 10
    result = _wait_status(sqs, dlq_arn, "CANCELLED")
    assert result["Status"] == "CANCELLED"
    time.sleep(0.6)
    assert _depth(sqs, dest) + _depth(sqs, dlq) == 10  # nothing lost
    assert _depth(sqs, dlq) > 0


def test_move_task_errors_have_aws_codes_and_messages(cloud):
    sqs = cloud.client("sqs")
    plain, plain_arn = _queue(sqs, "plain")
    err = client_error(lambda: sqs.start_message_move_task(SourceArn=plain_arn))
    assert (err.code, err.message) == (
        "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
    _, _, _, dlq_arn = _dead_letter(sqs, 3)
    err = client_error(lambda: sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=plain_arn + "doesntexist"))
    assert err.code == "ResourceNotFoundException"
    assert err.status == 404
    err = client_error(lambda: sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=plain_arn, MaxNumberOfMessagesPerSecond=501))
    assert err.code == "InvalidParameterValue"
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=plain_arn,
                                MaxNumberOfMessagesPerSecond=1)
    err = client_error(lambda: sqs.start_message_move_task(SourceArn=dlq_arn,
                                                     DestinationArn=plain_arn))
    assert err.message == ("There is already a task running. Only one active task "
                                       "is allowed for a source queue arn at a given time.")
    err = client_error(lambda: sqs.cancel_message_move_task(TaskHandle="foobared"))
    assert (err.code, err.message) == (
        "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
    err = client_error(lambda: sqs.list_message_move_tasks(
        SourceArn="arn:aws:sqs:us-east-1:123456789012:missing"))
    assert err.code == "ResourceNotFoundException"
    handle = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["TaskHandle"]
    sqs.cancel_message_move_task(TaskHandle=handle)


def test_deleting_the_destination_fails_the_task_without_losing_messages(cloud):
    sqs = cloud.client("sqs")
    _, _, dlq, dlq_arn = _dead_letter(sqs, 5)
    dest, dest_arn = _queue(sqs, "dest")
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn,
                                MaxNumberOfMessagesPerSecond=2)
    time.sleep(0.2)
    sqs.delete_queue(QueueUrl=dest)
    result = _wait_status(sqs, dlq_arn, "FAILED")
    assert result["Status"] == "FAILED"
    assert result["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert _depth(sqs, dlq) == 5 - result["ApproximateNumberOfMessagesMoved"]
