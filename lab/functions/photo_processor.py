"""A photo-processing stand-in for the pipeline notebooks (06, 07). Standard library +
boto3 only (what the Lambda Python runtime provides).

Each SQS record's body announces an upload: `{"photo_id": "p0001", "size_bytes": 200000,
"lab": {...}}`. "Processing" hashes a synthetic image of that size (CPU work that grows
with the photo) and derives a thumbnail's name; the result goes to the DynamoDB table
`PHOTOS_TABLE` (partition key `photo_id`) through a *conditional* put, so a message
delivered twice is recognised and not processed twice (idempotency). The handler's boto3
reaches the offline endpoint through `AWS_ENDPOINT_URL`, which Lambda's offline
environments set.

Every record also logs one `LAB_RECORD {json}` line in the schema of `recorder.py`
(`lab.observe.logs.recorder_records` reads both), with `outcome` =
processed | duplicate | rejected | failed | skipped.

Failure injection, per message, from the body's `lab` object:
- `poison: true`: the photo is corrupt; processing raises `ValueError` on every attempt,
  unless the function's `REJECT_CORRUPT=1` (the fix: record it as rejected, done).
- `crash: true`: the process exits mid-batch (Lambda reports `Runtime.ExitError`).
- `hang: true`: the handler sleeps past the function timeout (`Sandbox.Timedout`).
- `fail_attempts: k`: the first k receives fail (a transient error).
- `work_ms: t`: the resize takes t ms longer (a bigger photo).
- `log_event: true`: the handler logs the whole event it received (`LAB_EVENT {json}`), so a
  notebook can show a real SQS event.

An event `{"warmup": true, "hold_s": s}` (not an SQS event) returns after `hold_s` seconds,
doing nothing (`lab.stack.coldstart.warm_up`): environments started before a mapping delivers.

Environment:
- `BATCH_FAILURES`: `raise` (default: any failed record raises at the end, so the whole
  batch returns to the queue), `raise_first` (raise at the first failed record: the records
  after it are never attempted) or `report` (return `batchItemFailures`, which needs the
  mapping's `FunctionResponseTypes=["ReportBatchItemFailures"]`; without it Lambda ignores
  the response and deletes the whole batch, failures included).
- `DOWNSTREAM_DELAY_MS`: added before each DynamoDB call (a slow downstream).
- `DEADLINE_MARGIN_MS` (report mode): when less time than this remains, report the
  records not yet started as failures instead of letting the invocation time out.
"""

import hashlib
import json
import os
import time

_ENV_STARTED_MS = time.time() * 1000  # module scope: runs once per environment (INIT)
_clients = {}


def _dynamodb():
    if "dynamodb" not in _clients:
        import boto3

        _clients["dynamodb"] = boto3.client("dynamodb")
    return _clients["dynamodb"]


if os.environ.get("PHOTOS_TABLE"):  # INIT, not the first invocation, pays for boto3
    _dynamodb()


def _downstream_pause():
    delay = float(os.environ.get("DOWNSTREAM_DELAY_MS") or 0)
    if delay:
        time.sleep(delay / 1000)


def _body(record):
    try:
        body = json.loads(record.get("body") or "{}")
    except ValueError:
        return {"lab": {"poison": True}}  # not even JSON: as corrupt as a photo gets
    return body if isinstance(body, dict) else {"lab": {"poison": True}}


def process_photo(body, message_id, receive_count, request_id):
    """Resize (stand-in) and store one photo; returns the outcome. Raises on bad input."""
    lab = body.get("lab") if isinstance(body.get("lab"), dict) else {}
    photo_id = str(body.get("photo_id") or message_id)
    if lab.get("poison"):
        if os.environ.get("REJECT_CORRUPT") == "1":
            outcome = "rejected"
        else:
            raise ValueError(f"photo {photo_id}: corrupt image data")
    else:
        if receive_count <= int(lab.get("fail_attempts", 0)):
            raise RuntimeError(f"photo {photo_id}: transient error on attempt {receive_count}")
        if lab.get("work_ms"):  # stand-in for the resize itself on a bigger photo
            time.sleep(float(lab["work_ms"]) / 1000)
        size = int(body.get("size_bytes", 100_000))
        pixels = (photo_id.encode() * (size // max(1, len(photo_id)) + 1))[:size]
        digest = hashlib.sha256(pixels).hexdigest()
        outcome = "processed"
    table = os.environ.get("PHOTOS_TABLE")
    if not table:
        return outcome
    item = {"photo_id": {"S": photo_id}, "status": {"S": outcome},
            "message_id": {"S": str(message_id)}, "request_id": {"S": request_id},
            "receive_count": {"N": str(receive_count)},
            "processed_ms": {"N": f"{time.time() * 1000:.1f}"}}
    if outcome == "processed":
        item["thumbnail"] = {"S": f"thumbnails/{photo_id}-{digest[:12]}.jpg"}
    _downstream_pause()
    client = _dynamodb()
    try:  # first writer wins: a redelivered message finds its photo already there
        client.put_item(TableName=table, Item=item,
                        ConditionExpression="attribute_not_exists(photo_id)")
    except client.exceptions.ConditionalCheckFailedException:
        return "duplicate"
    return outcome


def handler(event, context):
    if event.get("warmup") is True:  # lab.stack.coldstart.warm_up: INIT, then hold
        time.sleep(event.get("hold_s", 0))
        return {"warmup": True}
    start_ms = time.time() * 1000
    records = event.get("Records") or []
    mode = os.environ.get("BATCH_FAILURES", "raise")
    report = mode == "report"
    margin = float(os.environ.get("DEADLINE_MARGIN_MS") or 0)
    failed = []
    if any((_body(r).get("lab") or {}).get("log_event") is True for r in records
           if isinstance(_body(r).get("lab"), dict)):
        print("LAB_EVENT " + json.dumps(event, separators=(",", ":")), flush=True)
    for record in records:
        attrs = record.get("attributes") or {}
        body = _body(record)
        lab = body.get("lab") if isinstance(body.get("lab"), dict) else {}
        count = int(attrs.get("ApproximateReceiveCount", "1"))
        line = {"kind": "sqs", "message_id": record.get("messageId"),
                "request_id": context.aws_request_id, "handler_start_ms": start_ms,
                "record_start_ms": time.time() * 1000,
                "sent_ms": float(attrs.get("SentTimestamp", "nan")),
                "first_receive_ms": float(attrs.get("ApproximateFirstReceiveTimestamp", "nan")),
                "receive_count": count, "batch_size": len(records),
                "env_started_ms": _ENV_STARTED_MS, "photo_id": body.get("photo_id"), "lab": lab}
        if report and margin and context.get_remaining_time_in_millis() < margin:
            line["outcome"] = "skipped"  # not started: report it, it comes back later
        else:
            if lab.get("crash"):
                print(f"photo {body.get('photo_id')}: segmentation fault (injected)", flush=True)
                os._exit(1)
            if lab.get("hang"):
                time.sleep(context.get_remaining_time_in_millis() / 1000 + 1)
            try:
                line["outcome"] = process_photo(body, record.get("messageId"), count,
                                                context.aws_request_id)
            except Exception as exc:  # noqa: BLE001 - one bad photo must not stop the batch
                line["outcome"], line["error"] = "failed", str(exc)
        line["fails"] = line["outcome"] in ("failed", "skipped")
        line["handler_end_ms"] = time.time() * 1000
        if line["fails"]:
            failed.append(record.get("messageId"))
        print("LAB_RECORD " + json.dumps(line, separators=(",", ":")), flush=True)
        if line["fails"] and mode == "raise_first":  # the rest of the batch is never tried
            raise RuntimeError(f"photo {body.get('photo_id')} failed: {line.get('error')}")
    if failed and not report:
        raise RuntimeError(f"{len(failed)} of {len(records)} photo(s) failed")
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
