"""Batches: a bad entry fails alone; bad Ids, too many entries or too large a total fail the
whole request.

AWS (API SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch): "For each
message in the batch, the response contains a SendMessageBatchResultEntry tag if the message
succeeds or a BatchResultErrorEntry tag if the message fails" (Id, Code, Message,
SenderFault). The exact answers below were recorded against AWS in LocalStack's
tests/aws/services/sqs/test_sqs.snapshot.json (named per test) or asserted by its
`@markers.aws.validated` tests in tests/aws/services/sqs/test_sqs.py.
Bad input never loses a message: whatever a batch refuses was never stored, whatever it
accepted is received.
"""

from __future__ import annotations

import pytest

from tests.fixtures.common import client_error, unique_queue

BAD_ID = ("A batch entry id can only contain alphanumeric characters, hyphens and "
          "underscores. It can be at most 80 letters long.")


def _drain(sqs, url, expected: int) -> list[dict]:
    """Receive until `expected` messages came (or 5 empty long polls), deleting each."""
    got, empty = [], 0
    while len(got) < expected and empty < 5:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    MessageAttributeNames=["All"]).get("Messages", [])
        empty = 0 if batch else empty + 1
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        got += batch
    return got


def test_an_entry_too_large_for_the_queue_fails_alone(cloud):
    # Snapshot test_send_batch_message_size (MaximumMessageSize 1024): the 1,025-byte entry
    # is Failed with InvalidParameterValue, "One or more parameters cannot be validated. ..."
    # (a batch's wording; SendMessage says "are invalid"), the 1,024-byte one is sent.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "batch", MaximumMessageSize=1024)
    result = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "fits", "MessageBody": "a" * 1024}, {"Id": "big", "MessageBody": "a" * 1025}])
    assert [s["Id"] for s in result["Successful"]] == ["fits"]
    assert result["Failed"] == [{
        "Id": "big", "SenderFault": True, "Code": "InvalidParameterValue",
        "Message": "One or more parameters cannot be validated. Reason: Message must be "
                   "shorter than 1024 bytes."}]
    assert [m["Body"] for m in _drain(sqs, url, 1)] == ["a" * 1024]


def test_an_entry_with_invalid_characters_fails_alone(cloud):
    # AWS-validated test_batch_send_with_invalid_char_should_succeed: nine good entries and
    # one "\x01" body; exactly that entry is Failed, Code InvalidMessageContents.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "batch")
    entries = [{"Id": str(i), "MessageBody": str(i)} for i in range(9)]
    entries.append({"Id": "9", "MessageBody": "\x01"})
    result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    [failed] = result["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "9", "InvalidMessageContents", True)
    assert "#x1" in failed["Message"]
    assert sorted(m["Body"] for m in _drain(sqs, url, 9)) == [str(i) for i in range(9)]


def test_entries_with_bad_message_attributes_fail_alone(cloud):
    # Eleven attributes: AWS answered "Number of message attributes [11] exceeds the allowed
    # maximum [10]." (aws/aws-sdk-js#2876; Developer Guide sqs-message-metadata: up to 10).
    # An empty String value: snapshot test_send_message_with_empty_string_attribute,
    # "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type
    # 'String'." Both InvalidParameterValue.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "batch")
    eleven = {f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    empty = {"ErrorDetails": {"DataType": "String", "StringValue": ""}}
    ten = dict(list(eleven.items())[:10])
    result = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "eleven", "MessageBody": "x", "MessageAttributes": eleven},
        {"Id": "empty", "MessageBody": "x", "MessageAttributes": empty},
        {"Id": "ten", "MessageBody": "x", "MessageAttributes": ten}])
    assert [s["Id"] for s in result["Successful"]] == ["ten"]
    assert {f["Id"]: (f["Code"], f["Message"], f["SenderFault"]) for f in result["Failed"]} == {
        "eleven": ("InvalidParameterValue", "Number of message attributes [11] exceeds the "
                   "allowed maximum [10].", True),
        "empty": ("InvalidParameterValue", "Message (user) attribute 'ErrorDetails' must "
                  "contain a non-empty value of type 'String'.", True)}
    [got] = _drain(sqs, url, 1)
    assert len(got["MessageAttributes"]) == 10
    # SendMessage refuses the same message as a request
    assert client_error(sqs.send_message, QueueUrl=url, MessageBody="x",
                        MessageAttributes=eleven)[::2] == ("InvalidParameterValue", 400)


def test_a_batch_over_one_mebibyte_in_total_is_refused_whole(cloud):
    # Snapshot test_send_message_batch_with_oversized_contents (recorded 2025-08-19, after
    # the 1 MiB raise): one entry of 1,048,576 bytes with its attribute plus a one-byte
    # entry is refused as a request, AWS.SimpleQueueService.BatchRequestTooLong.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "batch")
    attributes = {"k": {"DataType": "String", "StringValue": "x"}}  # 1 + 6 + 1 bytes
    err = client_error(sqs.send_message_batch, QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "a" * (1_048_576 - 8), "MessageAttributes": attributes},
        {"Id": "2", "MessageBody": "a"}])
    assert err == ("AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be "
                   "longer than 1048576 bytes. You have sent 1048577 bytes.", 400)
    assert _drain(sqs, url, 0) == []


def _batch(sqs, action, url, ids):
    if action == "send":
        return sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": i, "MessageBody": "m"} for i in ids])
    if action == "delete":
        return sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": i, "ReceiptHandle": f"handle-{n}"} for n, i in enumerate(ids)])
    return sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": i, "ReceiptHandle": f"handle-{n}", "VisibilityTimeout": 1}
        for n, i in enumerate(ids)])


@pytest.mark.parametrize("action", ["send", "delete", "change_visibility"])
@pytest.mark.parametrize("bad_id", ["invalid:id", "", "testLongId" * 10])
def test_an_invalid_entry_id_refuses_the_whole_batch(cloud, action, bad_id):
    # Snapshots test_invalid_batch_id and test_delete_message_batch_invalid_msg_id (the
    # three ids): AWS.SimpleQueueService.InvalidBatchEntryId, 400.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "ids")
    err = client_error(_batch, sqs, action, url, ["good", bad_id])
    assert err == ("AWS.SimpleQueueService.InvalidBatchEntryId", BAD_ID, 400)
    assert _drain(sqs, url, 0) == []


@pytest.mark.parametrize("action", ["send", "delete", "change_visibility"])
def test_more_than_ten_entries_refuse_the_whole_batch(cloud, action):
    # Snapshots test_too_many_entries_in_batch_request, test_delete_message_batch_with_
    # too_large_batch, test_change_message_visibility_batch_with_too_large_batch.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "many")
    err = client_error(_batch, sqs, action, url, [f"message-{i}" for i in range(20)])
    assert err == ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                   "Maximum number of entries per request are 10. You have sent 20.", 400)


@pytest.mark.parametrize("action", ["send", "delete", "change_visibility"])
def test_repeated_entry_ids_refuse_the_whole_batch(cloud, action):
    # API reference (each batch action): AWS.SimpleQueueService.BatchEntryIdsNotDistinct,
    # "Two or more batch entries in the request have the same Id."
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "dup")
    err = client_error(_batch, sqs, action, url, ["a", "a"])
    assert (err.code, err.status) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400)


def test_delete_and_change_visibility_batches_report_a_bad_handle_per_entry(cloud):
    # The handle's error as DeleteMessage answers it (AWS-validated
    # test_delete_message_with_illegal_receipt_handle: ReceiptHandleIsInvalid, 'The input
    # receipt handle "garbage" is not a valid receipt handle.'), reported for that entry
    # only; the good entry succeeds.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "handles")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "one"},
                                                  {"Id": "2", "MessageBody": "two"}])
    got = _receive(sqs, url, 2)
    expected = [{"Id": "bad", "SenderFault": True, "Code": "ReceiptHandleIsInvalid",
                 "Message": 'The input receipt handle "garbage" is not a valid receipt '
                            'handle.'}]
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "good", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0}])
    assert ([s["Id"] for s in changed["Successful"]], changed["Failed"]) == (["good"], expected)
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "good", "ReceiptHandle": got[1]["ReceiptHandle"]},
        {"Id": "bad", "ReceiptHandle": "garbage"}])
    assert ([s["Id"] for s in deleted["Successful"]], deleted["Failed"]) == (["good"], expected)
    assert [m["Body"] for m in _drain(sqs, url, 1)] == [got[0]["Body"]]  # made visible again


def _receive(sqs, url, count: int) -> list[dict]:
    got = []
    while len(got) < count:
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                   VisibilityTimeout=30).get("Messages", [])
    return got
