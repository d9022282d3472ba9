"""FIFO queues: MessageGroupId is required (AWS API SendMessage / SendMessageBatch).

SendMessage without it is MissingParameter; a SendMessageBatch with an entry without it is
refused whole, as InvalidParameterValue. Both answers were recorded against AWS in
LocalStack's tests/aws/services/sqs/test_sqs.snapshot.json:
test_posting_to_fifo_requires_deduplicationid_group_id ("missing-parameter") and
test_send_batch_missing_message_group_id_for_fifo_queue.
"""

from __future__ import annotations

from tests.fixtures.common import client_error, unique_queue


def _fifo(sqs, **attributes) -> str:
    return unique_queue(sqs, "f", fifo=True, **attributes)


def _depth(sqs, url) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def test_a_fifo_send_without_message_group_id_is_refused(cloud):
    """Also with content-based deduplication; nothing is stored."""
    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication=True)
    assert client_error(sqs.send_message, QueueUrl=url, MessageBody="no group") == (
        "MissingParameter", "The request must contain the parameter MessageGroupId.", 400)
    assert _depth(sqs, url) == 0


def test_a_fifo_batch_with_an_entry_without_message_group_id_is_refused_whole(cloud):
    """Request-level, not a `Failed` entry: the entry that has a group is not sent either."""
    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication=False)
    err = client_error(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "grouped", "MessageGroupId": "g",
         "MessageDeduplicationId": "d1"},
        {"Id": "b", "MessageBody": "no group", "MessageDeduplicationId": "d2"}])
    assert err == ("InvalidParameterValue",
                   "The request must contain the parameter MessageGroupId.", 400)
    assert _depth(sqs, url) == 0


def test_a_fifo_batch_without_deduplication_id_is_refused_whole(cloud):
    """Recorded: test_send_batch_missing_deduplication_id_for_fifo_queue."""
    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication=False)
    err = client_error(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
        {"Id": "b", "MessageBody": "m", "MessageGroupId": "g"}])
    assert err == ("InvalidParameterValue", "The queue should either have "
                   "ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                   "explicitly", 400)
    assert _depth(sqs, url) == 0
