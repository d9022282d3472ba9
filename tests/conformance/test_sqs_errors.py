"""SQS answers malformed requests in its own words.

Sources: SQS API reference ReceiveMessage (WaitTimeSeconds "Must be >= 0 and <= 20",
MaxNumberOfMessages 1..10), SendMessage (MessageBody at least one character; CommonErrors
MissingParameter), ListQueueTags (Tags absent when the queue has none).
"""

from __future__ import annotations

import uuid

from tests.fixtures.common import client_error


def queue(cloud) -> str:
    return cloud.client("sqs").create_queue(QueueName=f"err-{uuid.uuid4().hex[:8]}")["QueueUrl"]


def test_wait_time_seconds_out_of_range_in_sqs_words(cloud):
    sqs = cloud.client("sqs")
    err = client_error(sqs.receive_message, QueueUrl=queue(cloud), WaitTimeSeconds=21)
    assert err == ("InvalidParameterValue", "Value 21 for parameter WaitTimeSeconds is "
                   "invalid. Reason: Must be >= 0 and <= 20, if provided.", 400)


def test_max_number_of_messages_out_of_range_in_sqs_words(cloud):
    sqs = cloud.client("sqs")
    err = client_error(sqs.receive_message, QueueUrl=queue(cloud), MaxNumberOfMessages=11)
    assert err.message == ("Value 11 for parameter MaxNumberOfMessages is invalid. Reason: "
                           "Must be between 1 and 10, if provided.")


def test_an_empty_message_body_is_a_missing_parameter(cloud):
    sqs = cloud.client("sqs")
    err = client_error(sqs.send_message, QueueUrl=queue(cloud), MessageBody="")
    assert err == ("MissingParameter", "The request must contain the parameter MessageBody.",
                   400)


def test_list_queue_tags_without_tags_has_no_tags_key(cloud):
    sqs = cloud.client("sqs")
    url = queue(cloud)
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    sqs.tag_queue(QueueUrl=url, Tags={"k": "v"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
