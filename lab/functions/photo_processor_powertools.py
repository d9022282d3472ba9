"""The photo processor written the way many real users write it: AWS Lambda Powertools'
batch utility (`BatchProcessor` + `process_partial_response`) runs a record handler per
message and builds the `batchItemFailures` response from the records that raised.

Needs `aws-lambda-powertools` (not in the Lambda runtime): on AWS add the Powertools layer
(or package it in the zip); offline the execution environment runs on the project's
interpreter, where it is installed. The mapping needs
`FunctionResponseTypes=["ReportBatchItemFailures"]`.

Same work, DynamoDB table (`PHOTOS_TABLE`) and `LAB_RECORD` lines as `photo_processor.py`;
kept in one file so its zip needs nothing else. Failure injection supported: `lab.poison`
(with `REJECT_CORRUPT=1` as the fix), `lab.crash`, `lab.fail_attempts` and
`DOWNSTREAM_DELAY_MS`. NOT supported here (ignored): `lab.hang`, `lab.work_ms`, and the
`BATCH_FAILURES` / `DEADLINE_MARGIN_MS` settings (Powertools always reports
`batchItemFailures`); use `photo_processor.py` for those.

Powertools detail worth knowing: when *every* record of a batch fails, it raises
`BatchProcessingError` (`raise_on_entire_batch_failure=True`, the default), so the
invocation is a function error and the whole batch returns, as AWS would treat it anyway.
"""

import hashlib
import json
import os
import time

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

_ENV_STARTED_MS = time.time() * 1000
processor = BatchProcessor(event_type=EventType.SQS)
_clients = {}
_batch = {"start_ms": 0.0, "size": 0}


def _dynamodb():
    if "dynamodb" not in _clients:
        import boto3

        _clients["dynamodb"] = boto3.client("dynamodb")
    return _clients["dynamodb"]


if os.environ.get("PHOTOS_TABLE"):  # INIT, not the first invocation, pays for boto3
    _dynamodb()


def _store(photo_id, outcome, message_id, request_id, count, thumbnail=None):
    table = os.environ.get("PHOTOS_TABLE")
    if not table:
        return outcome
    item = {"photo_id": {"S": photo_id}, "status": {"S": outcome},
            "message_id": {"S": message_id}, "request_id": {"S": request_id},
            "receive_count": {"N": str(count)},
            "processed_ms": {"N": f"{time.time() * 1000:.1f}"}}
    if thumbnail:
        item["thumbnail"] = {"S": thumbnail}
    delay = float(os.environ.get("DOWNSTREAM_DELAY_MS") or 0)
    if delay:
        time.sleep(delay / 1000)
    client = _dynamodb()
    try:
        client.put_item(TableName=table, Item=item,
                        ConditionExpression="attribute_not_exists(photo_id)")
    except client.exceptions.ConditionalCheckFailedException:
        return "duplicate"
    return outcome


def record_handler(record, lambda_context):
    """One message: raise to mark it failed (Powertools reports it in batchItemFailures)."""
    try:
        body = json.loads(record.body or "{}")
    except ValueError:
        body = {"lab": {"poison": True}}
    lab = body.get("lab") if isinstance(body.get("lab"), dict) else {}
    count = int(record.attributes.approximate_receive_count)
    photo_id = str(body.get("photo_id") or record.message_id)
    line = {"kind": "sqs", "message_id": record.message_id,
            "request_id": lambda_context.aws_request_id,
            "handler_start_ms": _batch["start_ms"], "record_start_ms": time.time() * 1000,
            "sent_ms": float(record.attributes.sent_timestamp),
            "first_receive_ms": float(record.attributes.approximate_first_receive_timestamp),
            "receive_count": count, "batch_size": _batch["size"],
            "env_started_ms": _ENV_STARTED_MS, "photo_id": body.get("photo_id"), "lab": lab}
    try:
        if lab.get("crash"):
            print(f"photo {photo_id}: segmentation fault (injected)", flush=True)
            os._exit(1)
        if lab.get("poison") and os.environ.get("REJECT_CORRUPT") != "1":
            raise ValueError(f"photo {photo_id}: corrupt image data")
        if count <= int(lab.get("fail_attempts", 0)):
            raise RuntimeError(f"photo {photo_id}: transient error on attempt {count}")
        if lab.get("poison"):
            line["outcome"] = _store(photo_id, "rejected", record.message_id,
                                     lambda_context.aws_request_id, count)
        else:
            size = int(body.get("size_bytes", 100_000))
            pixels = (photo_id.encode() * (size // max(1, len(photo_id)) + 1))[:size]
            thumb = f"thumbnails/{photo_id}-{hashlib.sha256(pixels).hexdigest()[:12]}.jpg"
            line["outcome"] = _store(photo_id, "processed", record.message_id,
                                     lambda_context.aws_request_id, count, thumb)
    except Exception as exc:
        line["outcome"], line["error"] = "failed", str(exc)
        raise
    finally:
        line["fails"] = line.get("outcome", "failed") == "failed"
        line["handler_end_ms"] = time.time() * 1000
        print("LAB_RECORD " + json.dumps(line, separators=(",", ":")), flush=True)
    return line["outcome"]


def handler(event, context):
    if event.get("warmup") is True:  # lab.stack.coldstart.warm_up: INIT, then hold
        time.sleep(event.get("hold_s", 0))
        return {"warmup": True}
    _batch.update(start_ms=time.time() * 1000, size=len(event.get("Records") or []))
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
