"""FIFO queues: order within a message group, deduplication, sequence numbers.

AWS (SQS Developer Guide FIFO-key-terms, using-messagededuplicationid-property,
API SendMessage): messages of one group are delivered in order, also on redelivery; a
message with a deduplication id already accepted in the last 5 minutes is accepted (200)
but not delivered, *even after the first copy was received and deleted*; content-based
deduplication uses SHA-256 of the body; DeduplicationScope=messageGroup scopes ids to a
group; every FIFO message carries a SequenceNumber.
"""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.common import unique_queue


def _fifo(sqs, **attributes):
    return unique_queue(sqs, "f", fifo=True, **attributes)


def _bodies(resp):
    return [m["Body"] for m in resp.get("Messages", [])]


def test_after_a_visibility_timeout_the_group_is_redelivered_in_order(cloud):
    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout=1)
    for body in ("A1", "A2", "A3"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="A")
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)) == ["A1", "A2"]
    # A1 and A2 time out without being deleted: the next receive starts again at A1.
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5,
                                MessageSystemAttributeNames=["All"])
    assert _bodies(again) == ["A1", "A2", "A3"]
    counts = [m["Attributes"]["ApproximateReceiveCount"] for m in again["Messages"]]
    assert counts == ["2", "2", "1"]


def test_a_blocked_group_does_not_block_other_groups(cloud):
    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="A1", MessageGroupId="A")
    sqs.send_message(QueueUrl=url, MessageBody="A2", MessageGroupId="A")
    sqs.send_message(QueueUrl=url, MessageBody="B1", MessageGroupId="B")
    assert _bodies(sqs.receive_message(QueueUrl=url)) == ["A1"]
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["B1"]


def test_duplicate_id_within_five_minutes_is_accepted_but_not_delivered_even_after_delete(cloud):
    sqs = cloud.client("sqs")
    url = _fifo(sqs, VisibilityTimeout=30)
    first = sqs.send_message(QueueUrl=url, MessageBody="pay 10", MessageGroupId="g",
                             MessageDeduplicationId="order-1")
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    retry = sqs.send_message(QueueUrl=url, MessageBody="pay 10", MessageGroupId="g",
                             MessageDeduplicationId="order-1")
    assert retry["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert retry["MessageId"] == first["MessageId"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_content_based_deduplication_uses_the_sha256_of_the_body(cloud):
    import hashlib

    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                               MessageSystemAttributeNames=["All"])
    assert _bodies(resp) == ["same", "other"]
    assert resp["Messages"][0]["Attributes"]["MessageDeduplicationId"] == \
        hashlib.sha256(b"same").hexdigest()
    # explicit ids override the generated one
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g",
                     MessageDeduplicationId="explicit")
    for m in resp["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["same"]


@pytest.mark.parametrize("scope, delivered", [("queue", ["x"]), ("messageGroup", ["x", "x"])])
def test_deduplication_scope(cloud, scope, delivered):
    sqs = cloud.client("sqs")
    url = _fifo(sqs, DeduplicationScope=scope, FifoThroughputLimit=(
        "perMessageGroupId" if scope == "messageGroup" else "perQueue"))
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1",
                     MessageDeduplicationId="d")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g2",
                     MessageDeduplicationId="d")
    got = []
    for _ in range(2):  # one group per receive at most is not required; collect both
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        got += _bodies(resp)
        for m in resp.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert got == delivered


def test_every_fifo_message_carries_an_increasing_sequence_number(cloud):
    sqs = cloud.client("sqs")
    url = _fifo(sqs, ContentBasedDeduplication="true")
    numbers = [sqs.send_message(QueueUrl=url, MessageBody=f"m{i}",
                                MessageGroupId="g")["SequenceNumber"] for i in range(3)]
    batch = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g"} for i in range(3)])
    numbers += [e["SequenceNumber"] for e in batch["Successful"]]
    assert all(n.isdigit() and len(n) == 20 for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                               MessageSystemAttributeNames=["SequenceNumber"])
    assert [m["Attributes"]["SequenceNumber"] for m in resp["Messages"]] == numbers


def test_sender_id_is_the_callers_principal_id(cloud):
    sqs = cloud.client("sqs")
    url = unique_queue(sqs, "s")
    sqs.send_message(QueueUrl=url, MessageBody="who")
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"])
    caller = cloud.client("sts").get_caller_identity()
    assert msg["Messages"][0]["Attributes"]["SenderId"] == caller["UserId"]
    # another principal (an assumed role, as a Lambda function's) gets its own id
    import json

    import boto3

    role = cloud.client("iam").create_role(
        RoleName=f"sender-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": []}))["Role"]
    creds = cloud.client("sts").assume_role(RoleArn=role["Arn"],
                                            RoleSessionName="fn")["Credentials"]
    as_role = boto3.client("sqs", endpoint_url=cloud.endpoint_url, region_name=cloud.region,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    as_role.send_message(QueueUrl=url, MessageBody="role")
    role_id = boto3.client("sts", endpoint_url=cloud.endpoint_url, region_name=cloud.region,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"]).get_caller_identity()
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"],
                              WaitTimeSeconds=2)
    assert msg["Messages"][0]["Attributes"]["SenderId"] == role_id["UserId"]
    assert role_id["UserId"] != caller["UserId"]
