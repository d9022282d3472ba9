"""The event Lambda builds from an SQS batch, and how it reads the function's answer.

Record fields follow the Lambda Developer Guide (with-sqs, services-sqs-errorhandling):
`attributes` carry the real receive count and timestamps as epoch-millisecond strings,
`messageAttributes` use Lambda's camel-case shape with binary values base64-encoded.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


def _b64(value: bytes | str) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def lambda_message_attributes(attrs: dict) -> dict:
    """SQS `MessageAttributes` -> Lambda's `messageAttributes` (camel case, base64 binary)."""
    out = {}
    for name, value in (attrs or {}).items():
        data_type = value.get("DataType", "String")
        entry: dict = {}
        if data_type.startswith("Binary"):
            entry["binaryValue"] = _b64(value.get("BinaryValue", b""))
        else:
            entry["stringValue"] = value.get("StringValue")
        entry["stringListValues"] = list(value.get("StringListValues") or [])
        entry["binaryListValues"] = [_b64(v) for v in value.get("BinaryListValues") or []]
        entry["dataType"] = data_type
        out[name] = entry
    return out


def sqs_record(message, *, queue_arn: str, region: str, fifo: bool) -> dict:
    """One record of the event, from a received moto `Message` (a copy taken at receive)."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    trace = (message.system_attributes or {}).get("AWSTraceHeader")
    if trace:
        attributes["AWSTraceHeader"] = trace.get("StringValue") if isinstance(trace, dict) else trace
    if fifo:
        if message.sequence_number is not None:
            attributes["SequenceNumber"] = str(message.sequence_number)
        if message.group_id is not None:
            attributes["MessageGroupId"] = message.group_id
        if message.deduplication_id is not None:
            attributes["MessageDeduplicationId"] = message.deduplication_id
    record = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": lambda_message_attributes(message.message_attributes),
        "md5OfBody": message.body_md5,
    }
    if message.message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def record_size(record: dict) -> int:
    """Bytes this record adds to the event's JSON payload."""
    return len(json.dumps(record, separators=(",", ":")).encode("utf-8")) + 1


def event_payload(records: list[dict]) -> bytes:
    return json.dumps({"Records": records}, separators=(",", ":")).encode("utf-8")


@dataclass
class BatchOutcome:
    """What Lambda does with a batch after the invocation returned."""

    delete_ids: list[str]  # message ids to delete
    failed_ids: list[str]  # message ids left to return after the visibility timeout
    reason: str  # "success", "partial", "function_error", "malformed_response", ...


def read_batch_response(payload: bytes | None, message_ids: list[str]) -> BatchOutcome:
    """Apply the ReportBatchItemFailures rules to a successful invocation's response.

    Complete success: a null/empty response, an empty `{}`, a null or empty
    `batchItemFailures`. Complete failure: invalid JSON, a response that is not an object,
    `batchItemFailures` that is not a list, an item without `itemIdentifier` (bad key name),
    a null or empty `itemIdentifier`, or an id that is not in the batch.
    """
    everything = BatchOutcome(list(message_ids), [], "success")
    whole_failure = BatchOutcome([], list(message_ids), "malformed_response")
    text = (payload or b"").strip()
    if not text:
        return everything
    try:
        body = json.loads(text)
    except ValueError:
        return whole_failure
    if body is None:
        return everything
    if not isinstance(body, dict):
        return whole_failure
    failures = body.get("batchItemFailures")
    if failures is None or failures == []:
        return everything
    if not isinstance(failures, list):
        return whole_failure
    known = set(message_ids)
    failed: list[str] = []
    for item in failures:
        if not isinstance(item, dict) or "itemIdentifier" not in item:
            return whole_failure
        ident = item["itemIdentifier"]
        if not isinstance(ident, str) or not ident or ident not in known:
            return whole_failure
        if ident not in failed:
            failed.append(ident)
    keep = set(failed)
    return BatchOutcome([m for m in message_ids if m not in keep], failed, "partial")
