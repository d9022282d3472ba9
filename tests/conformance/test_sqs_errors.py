"""SQS answers malformed requests in its own words.

Sources: SQS API reference ReceiveMessage (WaitTimeSeconds "Must be >= 0 and <= 20",
MaxNumberOfMessages 1..10), SendMessage (MessageBody at least one character; CommonErrors
MissingParameter), ListQueueTags (Tags absent when the queue has none).
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

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


# -- the JSON protocol's query-compatible error code --------------------------------------
# SQS Developer Guide sqs-json-api-responses: a JSON error carries `x-amzn-query-error:
# <legacy code>;Sender` and `"__type": "com.amazonaws.sqs#<shape>"` (example:
# `AWS.SimpleQueueService.NonExistentQueue;Sender`, `com.amazonaws.sqs#QueueDoesNotExist`).
# botocore shows the header's code as Error.Code, the shape as Error.QueryErrorCode, and
# raises the modeled exception of that shape. Shapes as recorded against AWS in LocalStack's
# tests/aws/services/sqs/test_sqs.snapshot.json (QueryErrorCode): InvalidParameterValue is
# InvalidParameterValueException (test_send_oversized_message), MissingParameter is
# MissingRequiredParameterException (test_posting_to_fifo_requires_deduplicationid_group_id),
# InvalidBatchEntryId (test_invalid_batch_id); ResourceNotFoundException 404
# (test_sqs_move_task.snapshot.json, test_destination_needs_to_exist).
def _missing_queue(sqs, url):
    return sqs.get_queue_url(QueueName="no-such-queue-" + uuid.uuid4().hex[:6])


def _oversized(sqs, url):
    return sqs.send_message(QueueUrl=url, MessageBody="a" * 1_048_577)


def _bad_batch_id(sqs, url):
    return sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a:b", "MessageBody": "m"}])


def _bad_handle(sqs, url):
    return sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")


def _bad_character(sqs, url):
    return sqs.send_message(QueueUrl=url, MessageBody="bell\x07")


def _empty_body(sqs, url):
    return sqs.send_message(QueueUrl=url, MessageBody="")


def _bad_attribute_range(sqs, url):  # refused by the lab ahead of moto (input_checks)
    return sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "2000000"})


def _move_task_of_missing_queue(sqs, url):  # the lab's own action
    return sqs.list_message_move_tasks(SourceArn="arn:aws:sqs:us-east-1:123456789012:nope")


@pytest.mark.parametrize("call, code, shape, status", [
    (_missing_queue, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", 400),
    (_oversized, "InvalidParameterValue", "InvalidParameterValueException", 400),
    (_bad_batch_id, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId", 400),
    (_bad_handle, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400),
    (_bad_character, "InvalidMessageContents", "InvalidMessageContents", 400),
    (_empty_body, "MissingParameter", "MissingRequiredParameterException", 400),
    (_bad_attribute_range, "InvalidAttributeValue", "InvalidAttributeValue", 400),
    (_move_task_of_missing_queue, "ResourceNotFoundException", "ResourceNotFoundException", 404),
], ids=lambda v: getattr(v, "__name__", None))
def test_json_errors_carry_the_legacy_code_in_x_amzn_query_error(cloud, call, code, shape,
                                                                   status):
    sqs = cloud.client("sqs")
    with pytest.raises(ClientError) as caught:
        call(sqs, queue(cloud))
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-query-error"] == f"{code};Sender"
    assert (response["Error"]["Code"], response["Error"]["QueryErrorCode"]) == (code, shape)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    modeled = getattr(sqs.exceptions, shape, None)  # the shapes botocore's SQS model has
    if modeled is not None:
        assert isinstance(caught.value, modeled)
