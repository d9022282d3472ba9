"""Receipt handles: ChangeMessageVisibility and DeleteMessage answer as SQS does for an
expired visibility timeout, a deleted message and a handle that is not one.

AWS (API ChangeMessageVisibility, DeleteMessage; SQS Developer Guide
troubleshooting-api-errors, "ReceiptHandle error": an incorrect handle is
ReceiptHandleIsInvalid, "The input receipt handle <YOUR RECEIPT HANDLE> is not a valid
receipt handle."). The exact answers below are LocalStack's tests validated against AWS
(tests/aws/services/sqs/test_sqs.py, `@markers.aws.validated`, and its snapshot file),
named per test.
"""

from __future__ import annotations

import time

from tests.fixtures.common import client_error, unique_queue


def _received(sqs, url, visibility_timeout: int = 30) -> dict:
    return sqs.receive_message(QueueUrl=url, VisibilityTimeout=visibility_timeout,
                               WaitTimeSeconds=5)["Messages"][0]


def test_change_visibility_after_the_timeout_expired_answers_ok(cloud):
    # test_change_message_visibility_after_visibility_timeout_expiration (snapshot
    # "visibility_timeout_expired": HTTP 200): VisibilityTimeout 1, expired, not received
    # again. What AWS then does with the message is not recorded; "AWS simply sends back an
    # OK and does nothing" (localstack/localstack#9632): the lab MODELS that, the message
    # stays visible.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "expired", VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="test")
    handle = _received(sqs, url, visibility_timeout=1)["ReceiptHandle"]
    time.sleep(1.3)
    response = sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle,
                                             VisibilityTimeout=2)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    again = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    assert again["Body"] == "test"


def test_change_visibility_with_a_deleted_message_handle_is_invalid_parameter_value(cloud):
    # test_change_visibility_on_deleted_message_raises_invalid_parameter_value: the exact
    # message names the handle.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "deleted")
    sqs.send_message(QueueUrl=url, MessageBody="foo")
    handle = _received(sqs, url)["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=42)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    err = client_error(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle,
                       VisibilityTimeout=42)
    assert err == ("InvalidParameterValue", f"Value {handle} for parameter ReceiptHandle is "
                   "invalid. Reason: Message does not exist or is not available for "
                   "visibility timeout change.", 400)


def test_deleting_a_deleted_message_again_succeeds(cloud):
    # test_delete_message_with_deleted_receipt_handle: three deletes, no error.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "twice")
    sqs.send_message(QueueUrl=url, MessageBody="foo")
    handle = _received(sqs, url)["ReceiptHandle"]
    for _ in range(3):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)


def test_a_malformed_handle_is_receipt_handle_is_invalid_naming_the_handle(cloud):
    # test_delete_message_with_illegal_receipt_handle: DeleteMessage "garbage" ->
    # ReceiptHandleIsInvalid, 'The input receipt handle "garbage" is not a valid receipt
    # handle.'; test_invalid_receipt_handle_should_return_error_message: ChangeMessage-
    # Visibility "INVALID" -> ReceiptHandleIsInvalid (the lab words it as DeleteMessage).
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "garbage")
    assert client_error(sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage") == (
        "ReceiptHandleIsInvalid", 'The input receipt handle "garbage" is not a valid receipt '
        "handle.", 400)
    assert client_error(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle="INVALID",
                        VisibilityTimeout=60) == (
        "ReceiptHandleIsInvalid", 'The input receipt handle "INVALID" is not a valid receipt '
        "handle.", 400)


def test_a_handle_of_another_queue_is_not_a_valid_handle_here(cloud):
    sqs = cloud.client("sqs")
    first, second = unique_queue(sqs, "one"), unique_queue(sqs, "two")
    sqs.send_message(QueueUrl=first, MessageBody="m")
    handle = _received(sqs, first)["ReceiptHandle"]
    assert client_error(sqs.delete_message, QueueUrl=second,
                        ReceiptHandle=handle).code == "ReceiptHandleIsInvalid"
    sqs.delete_message(QueueUrl=first, ReceiptHandle=handle)


def test_change_visibility_batch_answers_each_entry_as_the_single_call(cloud):
    # The same answers per entry (API ChangeMessageVisibilityBatch: a BatchResultErrorEntry
    # per failed entry): the expired entry succeeds, the deleted one fails.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "cvbatch")
    sqs.send_message(QueueUrl=url, MessageBody="expired")
    expired = _received(sqs, url, visibility_timeout=1)["ReceiptHandle"]
    sqs.send_message(QueueUrl=url, MessageBody="deleted")
    deleted = _received(sqs, url)["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=deleted)
    time.sleep(1.3)
    result = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "expired", "ReceiptHandle": expired, "VisibilityTimeout": 5},
        {"Id": "deleted", "ReceiptHandle": deleted, "VisibilityTimeout": 5}])
    assert [s["Id"] for s in result["Successful"]] == ["expired"]
    assert result["Failed"] == [{
        "Id": "deleted", "SenderFault": True, "Code": "InvalidParameterValue",
        "Message": f"Value {deleted} for parameter ReceiptHandle is invalid. Reason: Message "
                   "does not exist or is not available for visibility timeout change."}]
