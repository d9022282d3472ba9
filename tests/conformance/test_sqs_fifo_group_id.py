"""FIFO queues: MessageGroupId is required (AWS API SendMessage / SendMessageBatch).

The lab relies on moto's own check for this (lab/offline/sqs/models.py does not repeat
it), so this test guards that behaviour.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def test_a_fifo_send_without_message_group_id_is_refused(cloud):
    """AWS API SendMessage / SendMessageBatch: MessageGroupId is required for FIFO queues
    (MissingParameter), also with content-based deduplication; nothing is stored."""
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=f"f-{uuid.uuid4().hex[:8]}.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="no group")
    assert exc.value.response["Error"]["Code"] == "MissingParameter"
    assert "MessageGroupId" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "a", "MessageBody": "grouped", "MessageGroupId": "g"},
            {"Id": "b", "MessageBody": "no group"}])
    assert exc.value.response["Error"]["Code"] == "MissingParameter"
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
