"""A handler that records when each message reached it, for the latency and redelivery
experiments (lab.experiments). Standard library + boto3 only (what Lambda provides).

For every SQS record (or a direct / HTTP API invocation) it writes one log line
`LAB_RECORD {json}` with the handler's clock (`handler_start_ms`, epoch ms), the record's
SQS attributes (`SentTimestamp`, `ApproximateFirstReceiveTimestamp`,
`ApproximateReceiveCount`) and the client's own fields (the JSON body's `lab` object).
Experiments read these lines from CloudWatch Logs (`/aws/lambda/<function>`), offline and
on AWS alike. Optionally each record is also written to S3 (`LAB_RESULTS_BUCKET`) or
DynamoDB (`LAB_RESULTS_TABLE`, partition key `id` string) through the same endpoint.

Failure injection, per message, from the body's `lab` object: `fail_attempts: k` makes the
first k receives fail (with `LAB_PARTIAL_FAILURES=1` the handler reports them in
`batchItemFailures`, otherwise it raises and the whole batch returns to the queue);
`sleep_ms` simulates work.
"""

import json
import os
import time

_ENV_STARTED_MS = time.time() * 1000  # module scope runs once per environment (INIT)
_clients = {}


def _client(service):
    if service not in _clients:
        import boto3

        _clients[service] = boto3.client(service)
    return _clients[service]


def _lab_fields(body):
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    if isinstance(body, dict) and isinstance(body.get("lab"), dict):
        return body["lab"]
    return {}


def _store(record):
    bucket = os.environ.get("LAB_RESULTS_BUCKET")
    table = os.environ.get("LAB_RESULTS_TABLE")
    key = f"{record['request_id']}/{record.get('message_id') or 'invoke'}"
    if bucket:
        _client("s3").put_object(Bucket=bucket, Key=f"records/{key}.json",
                                 Body=json.dumps(record).encode())
    if table:
        _client("dynamodb").put_item(TableName=table, Item={
            "id": {"S": key}, "record": {"S": json.dumps(record)}})


def handler(event, context):
    start_ms = time.time() * 1000
    records = event.get("Records") if isinstance(event, dict) else None
    out, failed = [], []
    if records:
        for r in records:
            attrs = r.get("attributes") or {}
            lab = _lab_fields(r.get("body"))
            count = int(attrs.get("ApproximateReceiveCount", "0"))
            rec = {"kind": "sqs", "message_id": r.get("messageId"),
                   "request_id": context.aws_request_id, "handler_start_ms": start_ms,
                   "sent_ms": float(attrs.get("SentTimestamp", "nan")),
                   "first_receive_ms": float(attrs.get("ApproximateFirstReceiveTimestamp",
                                                       "nan")),
                   "receive_count": count, "batch_size": len(records),
                   "env_started_ms": _ENV_STARTED_MS, "lab": lab}
            if lab.get("sleep_ms"):
                time.sleep(float(lab["sleep_ms"]) / 1000)
            rec["fails"] = count <= int(lab.get("fail_attempts", 0))
            if rec["fails"]:
                failed.append(r.get("messageId"))
            out.append(rec)
    else:
        body = event.get("body") if isinstance(event, dict) else None
        lab = _lab_fields(body if body is not None else event)
        if lab.get("sleep_ms"):
            time.sleep(float(lab["sleep_ms"]) / 1000)
        out.append({"kind": "invoke", "message_id": None, "request_id": context.aws_request_id,
                    "handler_start_ms": start_ms, "env_started_ms": _ENV_STARTED_MS,
                    "lab": lab, "fails": False})
    end_ms = time.time() * 1000
    for rec in out:
        rec["handler_end_ms"] = end_ms
        print("LAB_RECORD " + json.dumps(rec, separators=(",", ":")), flush=True)
        _store(rec)
    if failed:
        if os.environ.get("LAB_PARTIAL_FAILURES") == "1":
            return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
        raise RuntimeError(f"injected failure for {len(failed)} message(s)")
    if not records:
        return {"statusCode": 200, "body": json.dumps(out[0])}
    return {"batchItemFailures": []}
