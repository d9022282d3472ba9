"""One pipeline tracer: join what each hop recorded about a request into one row.

A request's hops are recorded by different parties: the client (send and response
times), API Gateway (the access log's integration latency), SQS (SentTimestamp,
ApproximateFirstReceiveTimestamp; offline also the lifecycle record of the deletion), the
handler (`LAB_RECORD` lines: its clock at the start of the invocation and at the end of
each record) and Lambda (the REPORT line: Init Duration, Duration). `join_hops` fills a
client row from those sources and computes every span in `HOP_SPANS`.
"""

from __future__ import annotations

import logging

import pandas as pd
from botocore.exceptions import ClientError

from lab.observe import logs
from lab.observe.access_log import access_log
from lab.observe.lifecycle import fetch_lifecycle
from lab.stack.waits import poll_until

log = logging.getLogger("lab.experiments")

# (span column, later clock, earlier clock): the hops of a request, in epoch ms.
HOP_SPANS = (
    ("to_queue_ms", "sqs_sent_ms", "client_send_ms"),
    ("queue_wait_ms", "first_receive_ms", "sqs_sent_ms"),
    ("dispatch_ms", "handler_start_ms", "first_receive_ms"),
    ("handler_ms", "record_end_ms", "handler_start_ms"),
    ("delete_ms", "deleted_ms", "record_end_ms"),
    ("end_to_end_ms", "handler_start_ms", "client_send_ms"),
    ("done_ms", "deleted_ms", "client_send_ms"),
    ("http_ms", "client_response_ms", "client_send_ms"),
)


def diff(row: dict, a: str, b: str) -> float | None:
    """row[a] - row[b] in ms, or None when either clock is missing."""
    x, y = row.get(a), row.get(b)
    if x is None or y is None or pd.isna(x) or pd.isna(y):
        return None
    return float(x) - float(y)


def deleted_times(target, queue_url: str | None) -> dict[str, float]:
    """OFFLINE ONLY (empty on AWS): message id -> when the message was deleted (epoch ms)."""
    if not queue_url or not getattr(target, "is_offline", False):
        return {}
    life = fetch_lifecycle(target, queue_url)
    dele = life[life["event"] == "deleted"]
    return dict(zip(dele["message_id"], dele["time_ms"], strict=True))


def integration_latency(target, api_id: str | None) -> dict[str, float]:
    """API request id -> the access log's integration latency (ms); empty when the API has
    no readable access log (an optional source: the row keeps its other hops)."""
    if not api_id:
        return {}
    try:
        frame = access_log(target, api_id)
    except ClientError as exc:
        log.info("no access log for API %s: %s", api_id, exc)
        return {}
    return dict(zip(frame["request_id"], frame["integration_latency_ms"], strict=True))


def handler_records(target, function_name: str, *, start_ms: int, message_ids=(),
                    timeout_s: float = 30.0, poll_s: float = 0.3) -> pd.DataFrame:
    """The handler's `LAB_RECORD` lines since `start_ms`, polling until every message in
    `message_ids` has a record that did not fail (or `timeout_s` passes)."""
    want = {m for m in message_ids if m}
    latest = {"records": pd.DataFrame()}

    def all_done() -> pd.DataFrame | None:
        recs = latest["records"] = logs.recorder_records(logs.log_events(
            target, function_name, "LAB_RECORD", start_ms=start_ms, timeout_s=0))
        done = set(recs.loc[~recs["fails"].astype(bool), "message_id"]) if len(recs) else set()
        return recs if want <= done else None

    try:
        return poll_until(all_done, timeout=timeout_s, poll_every=poll_s)
    except TimeoutError:
        return latest["records"]  # partial: callers join by message id


def first_deliveries(records: pd.DataFrame, key: str) -> dict:
    """The first successful handler record of each message, by `key` (a record column)."""
    first: dict = {}
    if len(records):
        ok = records[~records["fails"].fillna(False).astype(bool)] if "fails" in records \
            else records
        for rec in ok.sort_values("handler_start_ms").to_dict("records"):
            first.setdefault(rec[key], rec)
    return first


def join_hops(rows: list[dict], records: dict, row_key, reports: dict[str, dict], *,
              integration_ms: dict[str, float], deleted: dict[str, float]) -> None:
    """Fill each client row in place: its message's first handler record
    (`records[row_key(row)]`), that invocation's REPORT fields (`reports` by request id),
    the access log's integration latency (by API request id), the deletion time (by
    message id), then every span of HOP_SPANS."""
    for row in rows:
        rec = records.get(row_key(row), {})
        rep = reports.get(rec.get("request_id"), {})
        message_id = row.get("message_id") or rec.get("message_id")
        row.update(
            message_id=message_id, invocation_id=rec.get("request_id"),
            batch_size=rec.get("batch_size"), receive_count=rec.get("receive_count"),
            outcome=rec.get("outcome"), sqs_sent_ms=rec.get("sent_ms"),
            first_receive_ms=rec.get("first_receive_ms"),
            handler_start_ms=rec.get("handler_start_ms"), record_end_ms=rec.get("handler_end_ms"),
            deleted_ms=deleted.get(message_id),
            integration_ms=integration_ms.get(row.get("api_request_id")),
            init_ms=rep.get("init_duration_ms"), duration_ms=rep.get("duration_ms"),
            start=rep.get("start"))
        for col, a, b in HOP_SPANS:
            row[col] = diff(row, a, b)


def accounting(rows: list[dict]) -> dict:
    """Requests sent, accepted by the API (200) and seen by the handler."""
    return {"requests": len(rows), "accepted": sum(1 for r in rows if r.get("status") == 200),
            "handled": sum(1 for r in rows if pd.notna(r.get("handler_start_ms")))}
