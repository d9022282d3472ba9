"""Latency, hop by hop: request -> queue -> handler.

`queue_latency`: a producer and a long-polling consumer on one SQS queue (plain boto3):
send -> SQS `SentTimestamp` -> received by the consumer.

`pipeline_latency`: the series' architecture, HTTP API -> SQS -> Lambda (event source
mapping), with the `recorder` handler. Timestamps per message, and where each comes from:

| column | source (both targets unless marked) |
|---|---|
| client_send_ms, client_response_ms | the client's clock around the HTTP POST |
| integration_ms | the API's access log (`lab.observe.access_log`; on AWS the stage must log in `ACCESS_LOG_FORMAT`, which this experiment configures) |
| sqs_sent_ms | the SQS record's `SentTimestamp` as the handler received it |
| first_receive_ms | the record's `ApproximateFirstReceiveTimestamp` (the poller's receive) |
| handler_start_ms | the handler's own clock (`LAB_RECORD` log line) |
| deleted_ms | OFFLINE ONLY: the lifecycle record (`lab.observe.lifecycle`); on AWS no per-message record exists (the closest is CloudWatch's `NumberOfMessagesDeleted` metric, per minute) |
| init_ms, duration_ms | the invocation's REPORT line (`lab.observe.reports`) |

On AWS the client, SQS and Lambda clocks are different machines: sub-millisecond offsets
are noise, tens of milliseconds can be skew. Offline every clock is this machine's.
"""

from __future__ import annotations

import json
import threading
import time

import pandas as pd

from lab.experiments import tracer
from lab.experiments.harness import arrival_times
from lab.experiments.metadata import experiment_stack, progress_bar, run_metadata, tidy
from lab.observe import logs
from lab.observe.access_log import ACCESS_LOG_FORMAT
from lab.stack.http_api import invoke_url, post_json
from lab.stack.policies import log_group_arn

# -- SQS only -----------------------------------------------------------------------------
QUEUE_COLUMNS = {
    "message": "message number (count, from 0)",
    "message_id": "SQS MessageId",
    "t_s": "client send time since the run started (s)",
    "client_send_ms": "client clock before SendMessage (epoch ms)",
    "sqs_sent_ms": "SQS SentTimestamp attribute (epoch ms, SQS's clock, 1 ms resolution)",
    "first_receive_ms": "SQS ApproximateFirstReceiveTimestamp (epoch ms)",
    "received_ms": "client clock when ReceiveMessage returned the message (epoch ms)",
    "send_call_ms": "SendMessage round trip (ms)",
    "queue_ms": "received_ms - client_send_ms: send to consumer (ms)",
    "end_to_end_ms": "same as queue_ms (the hop this experiment measures) (ms)",
}


def queue_latency(target, *, n_messages: int = 50, rate_per_s: float = 10.0,
                  wait_time_seconds: int = 20, seed: int = 0, timeout_s: float = 60.0,
                  show_progress: bool = True, stack_name: str = "qlatency") -> pd.DataFrame:
    """Poisson sends at `rate_per_s`; one consumer long-polls (`wait_time_seconds`) and
    deletes. One row per message (QUEUE_COLUMNS)."""
    params = dict(n_messages=n_messages, rate_per_s=rate_per_s,
                  wait_time_seconds=wait_time_seconds, timeout_s=timeout_s)
    meta = run_metadata("queue_latency", target, params, seed=seed, columns=QUEUE_COLUMNS)
    schedule = arrival_times(n_messages, rate_per_s, seed)
    sent: dict[int, dict] = {}
    got: dict[int, dict] = {}
    bar = progress_bar(n_messages, "messages", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            sqs = stack.client("sqs")
            queue = stack.queue("latency")
            stop = threading.Event()
            t0 = time.time()

            def produce():
                for i, at in enumerate(schedule):
                    delay = t0 + at - time.time()
                    if delay > 0 and stop.wait(delay):
                        return
                    start = time.time()
                    mid = sqs.send_message(QueueUrl=queue.url, MessageBody=json.dumps(
                        {"lab": {"i": i, "client_send_ms": start * 1e3}}))["MessageId"]
                    sent[i] = {"message_id": mid, "client_send_ms": start * 1e3,
                               "send_call_ms": (time.time() - start) * 1e3}

            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            deadline = time.monotonic() + timeout_s
            try:
                while len(got) < n_messages and time.monotonic() < deadline:
                    msgs = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=wait_time_seconds,
                                               MessageSystemAttributeNames=["All"]
                                               ).get("Messages", [])
                    now = time.time() * 1e3
                    for m in msgs:
                        i = json.loads(m["Body"])["lab"]["i"]
                        attrs = m.get("Attributes", {})
                        got[i] = {"received_ms": now,
                                  "sqs_sent_ms": float(attrs.get("SentTimestamp", "nan")),
                                  "first_receive_ms": float(attrs.get(
                                      "ApproximateFirstReceiveTimestamp", "nan"))}
                        bar.update(1)
                    if msgs:
                        sqs.delete_message_batch(QueueUrl=queue.url, Entries=[
                            {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]}
                            for k, m in enumerate(msgs)])
            finally:
                stop.set()
                producer.join(timeout=30)
    finally:
        bar.close()
    rows = []
    for i in sorted(sent):
        s, g = sent[i], got.get(i, {})
        queue_ms = g.get("received_ms", float("nan")) - s["client_send_ms"]
        rows.append({"message": i, "message_id": s["message_id"],
                     "t_s": s["client_send_ms"] / 1e3 - t0, **s, **g,
                     "queue_ms": queue_ms, "end_to_end_ms": queue_ms})
    meta["accounting"] = {"sent": len(sent), "received": len(got)}
    return tidy(rows, QUEUE_COLUMNS, meta)


# -- HTTP API -> SQS -> Lambda --------------------------------------------------------------
PIPELINE_COLUMNS = {
    "request": "request number (count, from 0)",
    "t_s": "client send time since the run started (s)",
    "status": "HTTP status the client received",
    "api_request_id": "API Gateway request id (apigw-requestid header)",
    "message_id": "SQS MessageId",
    "invocation_id": "Lambda request id of the invocation that handled the message",
    "batch_size": "records in that invocation's batch (count)",
    "receive_count": "ApproximateReceiveCount when handled (count)",
    "start": "cold or warm: whether that invocation ran INIT (REPORT Init Duration)",
    "client_send_ms": "client clock before the HTTP POST (epoch ms)",
    "client_response_ms": "client clock when the HTTP response arrived (epoch ms)",
    "sqs_sent_ms": "SQS SentTimestamp (epoch ms)",
    "first_receive_ms": "SQS ApproximateFirstReceiveTimestamp: the poller's receive (epoch ms)",
    "handler_start_ms": "handler clock when the invocation started (epoch ms)",
    "deleted_ms": "OFFLINE ONLY: lifecycle record of the message's deletion (epoch ms)",
    "http_ms": "client round trip of the POST (ms)",
    "integration_ms": "access log integration latency: API Gateway -> SQS SendMessage (ms)",
    "queue_wait_ms": "first_receive_ms - sqs_sent_ms: waiting in the queue (ms)",
    "dispatch_ms": "handler_start_ms - first_receive_ms: batching + invoke, INIT if cold (ms)",
    "end_to_end_ms": "handler_start_ms - client_send_ms: request to handler (ms)",
    "init_ms": "REPORT Init Duration of the invocation (ms; empty when warm)",
    "duration_ms": "REPORT Duration of the invocation (ms)",
}


def pipeline_latency(target, *, n_requests: int = 20, rate_per_s: float = 5.0,
                     batch_size: int = 1, batching_window: int = 0, memory_size: int = 128,
                     seed: int = 0, timeout_s: float = 60.0, show_progress: bool = True,
                     stack_name: str = "pipeline") -> pd.DataFrame:
    """POST `n_requests` JSON bodies at Poisson times to an HTTP API whose route sends them
    to SQS; an event source mapping (`batch_size`, `batching_window` s) invokes the
    `recorder` function. One row per request with every hop (PIPELINE_COLUMNS)."""
    params = dict(n_requests=n_requests, rate_per_s=rate_per_s, batch_size=batch_size,
                  batching_window=batching_window, memory_size=memory_size,
                  timeout_s=timeout_s, handler="recorder")
    meta = run_metadata("pipeline_latency", target, params, seed=seed,
                        columns=PIPELINE_COLUMNS)
    schedule = arrival_times(n_requests, rate_per_s, seed)
    rows: list[dict] = []
    bar = progress_bar(n_requests, "requests", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            queue = stack.queue("requests", visibility_timeout=60)
            fn_role = stack.role("fn-role", "lambda.amazonaws.com")
            fn = stack.function("recorder", "recorder", role_arn=fn_role, timeout=10,
                                memory_size=memory_size)
            stack.event_source_mapping(fn, queue, batch_size=batch_size,
                                       batching_window=batching_window)
            api_role = stack.role("api-role", "apigateway.amazonaws.com")
            api_id = stack.http_api_to_sqs("api", queue, role_arn=api_role)
            if not target.is_offline:  # offline the endpoint keeps access logs in memory
                _enable_access_log(stack, api_id, ACCESS_LOG_FORMAT)
            url = invoke_url(target, api_id) + "/messages"
            started_ms = int(time.time() * 1000) - 1000
            t0 = time.time()
            for i, at in enumerate(schedule):
                delay = t0 + at - time.time()
                if delay > 0:
                    time.sleep(delay)
                send = time.time() * 1e3
                status, req_id, _ = post_json(url, {"lab": {"i": i, "client_send_ms": send}})
                rows.append({"request": i, "t_s": send / 1e3 - t0, "status": status,
                             "api_request_id": req_id, "client_send_ms": send,
                             "client_response_ms": time.time() * 1e3})
                bar.update(1)
            expected = sum(1 for r in rows if r["status"] == 200)
            records = logs.recorder_records(logs.log_events(
                target, fn.name, "LAB_RECORD", start_ms=started_ms, expect=expected,
                timeout_s=timeout_s))
            reports = logs.reports(target, fn.name, start_ms=started_ms,
                                          request_ids=records["request_id"].unique()
                                          if len(records) else (), timeout_s=timeout_s)
            join_pipeline(rows, records, reports, tracer.integration_latency(target, api_id),
                          tracer.deleted_times(target, queue.url))
    finally:
        bar.close()
    meta["accounting"] = dict(tracer.accounting(rows), requests=n_requests)
    return tidy(rows, PIPELINE_COLUMNS, meta)


def _enable_access_log(stack, api_id: str, fmt: str) -> None:
    """AWS: point the $default stage's access log at a log group this stack owns.
    (Offline the endpoint keeps access logs in memory; moto 5.2.5's UpdateStage on
    `$default` answers 500, so this is not called there.)"""
    apigw = stack.client("apigatewayv2")
    group = stack.log_group(f"/lab/apigw/{stack.resource_name('access')}")
    arn = log_group_arn(stack.target.region, stack.target.account_id, group)
    apigw.update_stage(ApiId=api_id, StageName="$default",
                       AccessLogSettings={"DestinationArn": arn, "Format": fmt})


def join_pipeline(rows: list[dict], records: pd.DataFrame, reports: pd.DataFrame,
                  integration_ms: dict[str, float], deleted: dict[str, float]) -> None:
    """Fill each request row (in place) from the recorder's records of its first delivery
    (matched by the request number the body carried as `lab.i`), that invocation's REPORT
    line, the access log's integration latency and the deletion time (`tracer.join_hops`)."""
    sqs_records = records[records["kind"] == "sqs"] if len(records) else records
    if len(sqs_records):
        sqs_records = sqs_records.assign(lab_i=sqs_records["lab_i"].astype(int))
    tracer.join_hops(rows, tracer.first_deliveries(sqs_records, "lab_i"),
                     lambda row: row["request"], logs.reports_by_id(reports),
                     integration_ms=integration_ms, deleted=deleted)


def hops(df: pd.DataFrame) -> pd.DataFrame:
    """Long form of a pipeline run for stacked/box charts: one row per (request, hop) with
    `hop` in (http_ms, queue_wait_ms, dispatch_ms, end_to_end_ms) and `ms`."""
    cols = [c for c in ("http_ms", "integration_ms", "queue_wait_ms", "dispatch_ms",
                        "end_to_end_ms") if c in df]
    long = df.melt(id_vars=["request"], value_vars=cols, var_name="hop", value_name="ms")
    long.attrs.update(df.attrs)
    long.attrs["columns"] = {"request": PIPELINE_COLUMNS["request"],
                             "hop": "which hop (a column of the pipeline run)",
                             "ms": "the hop's latency (ms)"}
    return long
