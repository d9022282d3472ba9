"""VisibilityTimeout 0: the message is visible again at once, but one ReceiveMessage call
returns each message at most once (SQS API reference, ReceiveMessage)."""

from __future__ import annotations

from tests.fixtures.common import unique_queue


def _queue(cloud, **attributes):
    sqs = cloud.client("sqs")
    return sqs, unique_queue(sqs, "vt0", **attributes)


def test_a_receive_with_visibility_timeout_zero_returns_each_message_once(cloud):
    sqs, url = _queue(cloud)
    sqs.send_message(QueueUrl=url, MessageBody="only one")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                              MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert len(got) == 1
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [m["Body"] for m in again] == ["only one"]  # visible again at once
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_queue(QueueUrl=url)


def test_a_queue_with_visibility_timeout_zero_returns_each_message_once_per_receive(cloud):
    sqs, url = _queue(cloud, VisibilityTimeout=0)
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                              MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert sorted(m["Body"] for m in got) == ["a", "b", "c"]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in got} == {"1"}
    sqs.delete_queue(QueueUrl=url)


def test_fifo_with_visibility_timeout_zero_keeps_group_order_without_repeats(cloud):
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "vt0", fifo=True, VisibilityTimeout=0,
                       ContentBasedDeduplication=True)
    for body in ("1", "2", "3"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["1", "2", "3"]
    sqs.delete_queue(QueueUrl=url)
