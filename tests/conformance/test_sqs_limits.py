"""Message size: UTF-8 bytes of the body plus every attribute's name, type and value.

AWS (SQS Developer Guide quotas-messages, API SendMessage / SendMessageBatch): a message,
attributes included, must not exceed the queue's MaximumMessageSize (default and maximum
1 MiB = 1,048,576 bytes since 2025-08-04); a batch's total payload must not exceed
1 MiB. Too large: InvalidParameterValue / BatchRequestTooLong, HTTP 400.
"""

from __future__ import annotations

from tests.fixtures.common import client_error, unique_queue


def _queue(sqs, **attributes):
    return unique_queue(sqs, "size", **attributes)


def test_default_maximum_message_size_is_one_mebibyte(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])
    assert attrs["Attributes"]["MaximumMessageSize"] == "1048576"


def test_body_size_counts_utf8_bytes_not_characters(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs, MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="é" * 512)  # 1,024 bytes: fits
    code, message, status = client_error(  # 513 characters but 1,026 bytes
        sqs.send_message, QueueUrl=url, MessageBody="é" * 513)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message == ("One or more parameters are invalid. Reason: Message must be "
                       "shorter than 1024 bytes.")


def test_message_attributes_count_towards_the_size(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs, MaximumMessageSize=1024)
    # name "k" (1) + type "String" (6) + value (17) + body (1,000) = 1,024 bytes
    fits = {"k": {"DataType": "String", "StringValue": "v" * 17}}
    sqs.send_message(QueueUrl=url, MessageBody="b" * 1000, MessageAttributes=fits)
    too_big = {"k": {"DataType": "String", "StringValue": "v" * 18}}
    assert client_error(sqs.send_message, QueueUrl=url, MessageBody="b" * 1000,
                        MessageAttributes=too_big)[::2] == ("InvalidParameterValue", 400)
    binary = {"bin": {"DataType": "Binary", "BinaryValue": b"\x00" * 19}}  # 3+6+19 = 28
    sqs.send_message(QueueUrl=url, MessageBody="b" * 996, MessageAttributes=binary)
    assert client_error(sqs.send_message, QueueUrl=url, MessageBody="b" * 997,
                        MessageAttributes=binary)[::2] == ("InvalidParameterValue", 400)


def test_a_batch_may_carry_at_most_one_mebibyte_in_total(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs)
    half = "x" * 524_288
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": half}, {"Id": "b", "MessageBody": half}])  # exactly 1 MiB
    code, message, status = client_error(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": half},
        {"Id": "b", "MessageBody": half,
         "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}])
    assert (code, status) == ("AWS.SimpleQueueService.BatchRequestTooLong", 400)
    assert "1048576" in message
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "2"  # nothing of the 2nd batch
