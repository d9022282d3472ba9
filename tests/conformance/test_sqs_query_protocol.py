"""The move-task actions answer the query protocol (form-encoded `Action=...`, as old SDKs
and AWS CLI v1 send) in SQS's XML shape.

AWS: SQS Developer Guide sqs-api-responses ("Interpreting Amazon SQS XML API responses"):
a success is `<ActionNameResponse>` with `<ActionNameResult>` and `<ResponseMetadata>`; an
error is always `<ErrorResponse>` with `<Error>` (Type, Code, Message) and `<RequestId>`.
The elements of each result: botocore's SQS query-protocol model, the last before SQS moved
to JSON (botocore commit 79c92132, kept in LocalStack as
localstack-core/localstack/aws/data/sqs-query/2012-11-05/service-2.json): resultWrapper
`<Action>Result`, ListMessageMoveTasks' entries flattened as
`<ListMessageMoveTasksResultEntry>`, ResourceNotFoundException HTTP 404. Error messages as
recorded against AWS in LocalStack's tests/aws/services/sqs/test_sqs_move_task.snapshot.json.
botocore no longer ships a query-protocol SQS model, so the requests are built by hand and
signed with botocore's SigV4Auth.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from tests.fixtures.common import queue_arn, unique_queue, wait_until

NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def query(cloud, action: str, **params) -> tuple[int, ET.Element]:
    """POST a signed query-protocol request; (HTTP status, the XML root)."""
    url = cloud.endpoint_url + "/"
    body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **params})
    request = AWSRequest("POST", url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    credentials = cloud.session.get_credentials().get_frozen_credentials()
    SigV4Auth(credentials, "sqs", cloud.region).add_auth(request)
    http = urllib.request.Request(url, data=body.encode(), method="POST",
                                  headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read())


def text(element: ET.Element, path: str) -> str | None:
    found = element.find("/".join(NS + part for part in path.split("/")))
    return None if found is None else found.text


def _dead_letter_queue(sqs, count: int) -> tuple[str, str]:
    """A DLQ (url, ARN) holding `count` messages dead-lettered from a source queue."""
    dlq = unique_queue(sqs, "qdlq")
    dlq_arn = queue_arn(sqs, dlq)
    src = unique_queue(sqs, "qsrc", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    for i in range(count):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    for _ in range(count * 2):
        sqs.receive_message(QueueUrl=src, VisibilityTimeout=0, MaxNumberOfMessages=10)
    return dlq, dlq_arn


def test_move_tasks_answer_the_query_protocol_in_sqs_xml(cloud):
    sqs = cloud.client("sqs")
    dlq, dlq_arn = _dead_letter_queue(sqs, 5)
    dest = unique_queue(sqs, "qdest")
    status, started = query(cloud, "StartMessageMoveTask", SourceArn=dlq_arn,
                            DestinationArn=queue_arn(sqs, dest), MaxNumberOfMessagesPerSecond=1)
    assert status == 200
    assert started.tag == f"{NS}StartMessageMoveTaskResponse"
    handle = text(started, "StartMessageMoveTaskResult/TaskHandle")
    assert handle and text(started, "ResponseMetadata/RequestId")

    status, listed = query(cloud, "ListMessageMoveTasks", SourceArn=dlq_arn, MaxResults=10)
    assert (status, listed.tag) == (200, f"{NS}ListMessageMoveTasksResponse")
    [entry] = listed.findall(f"{NS}ListMessageMoveTasksResult/{NS}ListMessageMoveTasksResultEntry")
    assert text(entry, "Status") == "RUNNING"
    assert text(entry, "TaskHandle") == handle
    assert text(entry, "SourceArn") == dlq_arn
    assert text(entry, "MaxNumberOfMessagesPerSecond") == "1"
    assert text(entry, "ApproximateNumberOfMessagesToMove") == "5"

    status, cancelled = query(cloud, "CancelMessageMoveTask", TaskHandle=handle)
    assert (status, cancelled.tag) == (200, f"{NS}CancelMessageMoveTaskResponse")
    moved = int(text(cancelled, "CancelMessageMoveTaskResult/ApproximateNumberOfMessagesMoved"))
    assert 0 <= moved < 5
    # the same task, as the JSON protocol (boto3) sees it
    wait_until(lambda: sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"]
               == "CANCELLED", what="the task CANCELLED")


def _error(root: ET.Element) -> tuple[str | None, str | None, str | None]:
    assert root.tag.endswith("ErrorResponse")
    assert root.find(f"{NS}RequestId") is not None
    return text(root, "Error/Type"), text(root, "Error/Code"), text(root, "Error/Message")


def test_move_task_errors_answer_in_the_xml_error_shape(cloud):
    sqs = cloud.client("sqs")
    missing = f"arn:aws:sqs:{cloud.region}:{cloud.account_id}:no-such-queue"
    # test_cancel_with_invalid_source_arn_in_task_handle / test_destination_needs_to_exist:
    # ResourceNotFoundException, HTTP 404
    status, root = query(cloud, "ListMessageMoveTasks", SourceArn=missing)
    assert (status, *_error(root)) == (
        404, "Sender", "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.")
    # test_cancel_with_invalid_task_handle
    status, root = query(cloud, "CancelMessageMoveTask", TaskHandle="foobared")
    assert (status, *_error(root)) == (
        400, "Sender", "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
    # test_source_needs_redrive_policy
    plain = queue_arn(sqs, unique_queue(sqs, "qplain"))
    status, root = query(cloud, "StartMessageMoveTask", SourceArn=plain)
    assert (status, *_error(root)) == (
        400, "Sender", "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.")
    # CommonErrors: MissingParameter
    status, root = query(cloud, "StartMessageMoveTask")
    assert (status, *_error(root)) == (
        400, "Sender", "MissingParameter", "The request must contain the parameter SourceArn.")


def test_a_bad_batch_entry_fails_alone_on_the_query_protocol_too(cloud):
    # The same per-entry answer as on JSON (AWS-validated
    # test_batch_send_with_invalid_char_should_succeed, run by LocalStack on both
    # protocols): a <BatchResultErrorEntry> beside the <SendMessageBatchResultEntry>.
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "qbatch")
    status, root = query(cloud, "SendMessageBatch", QueueUrl=url, **{
        "SendMessageBatchRequestEntry.1.Id": "good",
        "SendMessageBatchRequestEntry.1.MessageBody": "ok",
        "SendMessageBatchRequestEntry.2.Id": "bad",
        "SendMessageBatchRequestEntry.2.MessageBody": "\x01"})
    assert status == 200
    result = f"{NS}SendMessageBatchResult/"
    assert [text(e, "Id") for e in root.findall(f"{result}{NS}SendMessageBatchResultEntry")] \
        == ["good"]
    [failed] = root.findall(f"{result}{NS}BatchResultErrorEntry")
    assert (text(failed, "Id"), text(failed, "Code"), text(failed, "SenderFault")) == (
        "bad", "InvalidMessageContents", "true")
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"] == "ok"
