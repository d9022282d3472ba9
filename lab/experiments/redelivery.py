"""Redelivery: per-message timelines of a consumer that sometimes crashes mid-job.

A plain SQS consumer (no Lambda) receives messages; for each attempt it either finishes
(DeleteMessage) or "crashes" (never deletes), so the message stays invisible until its
visibility timeout expires and is delivered again with a higher ApproximateReceiveCount.
After `max_receive_count` receives the queue's RedrivePolicy moves it to the DLQ
(SQS Developer Guide, sqs-visibility-timeout and sqs-dead-letter-queues).

Same boto3 calls offline and on AWS. Observation sources per event (`observed_by`):
- `sqs`: the message's own `SentTimestamp` attribute (SQS's clock);
- `consumer`: the consumer's clock when a call returned (receive, delete);
- `computed`: receive time + visibility timeout (when the message becomes visible again,
  as the spec defines it; the next receive shows when it was actually seen again);
- `dlq poll`: first time a poll of the DLQ saw the message (an upper bound on the move
  time, within one poll interval). On AWS a standard queue's DLQ keeps the original
  SentTimestamp, so the move time is not recorded by SQS itself.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from lab.experiments.harness import draw_indices
from lab.experiments.metadata import experiment_stack, progress_bar, run_metadata, tidy
from lab.observe import logs

COLUMNS = {
    "message": "message label (m00, m01, ...; one lane in a timeline)",
    "message_id": "SQS MessageId",
    "event": "sent | receive | delete | visibility_expired | dlq",
    "attempt": "ApproximateReceiveCount at this event (count; 0 for sent)",
    "outcome": "for receive: processed (then deleted) or crashed (not deleted); else empty",
    "t_s": "time since the first send (s)",
    "time_utc": "wall-clock time of the event (UTC)",
    "observed_by": "sqs | consumer | computed | dlq poll (see module docstring)",
    "requested_s": "for a consumer's receive: when its ReceiveMessage call was made, since the "
                   "first send (s); SQS received the message between this and t_s",
}


def attempt_plan(n_messages: int, *, poison_fraction: float, failure_rate: float,
                 max_receive_count: int, seed: int) -> list[int]:
    """How many attempts of each message crash before one succeeds (seeded).

    Poison messages crash on every attempt (they end in the DLQ); the others crash each
    attempt with probability `failure_rate`, independently.
    """
    rng = np.random.default_rng(seed)
    poison = draw_indices(rng, n_messages, poison_fraction)
    plan = []
    for i in range(n_messages):
        if i in poison:
            plan.append(10**6)
        else:
            plan.append(int(rng.geometric(1 - failure_rate) - 1) if failure_rate > 0 else 0)
    return plan


def redelivery(target, *, n_messages: int = 6, visibility_timeout: int = 2,
               max_receive_count: int = 3, poison_fraction: float = 0.2,
               failure_rate: float = 0.3, wait_time_seconds: int = 1, seed: int = 0,
               timeout_s: float = 120.0, show_progress: bool = True,
               stack_name: str = "redelivery") -> pd.DataFrame:
    """Send `n_messages`, consume them with crashes per `attempt_plan`, and record every
    message's timeline until each one is deleted or in the DLQ (or `timeout_s` passes).

    Returns one row per event (see COLUMNS). `attrs["accounting"]` counts processed,
    dead-lettered and unaccounted messages (the last must be 0).
    """
    params = dict(n_messages=n_messages, visibility_timeout=visibility_timeout,
                  max_receive_count=max_receive_count, poison_fraction=poison_fraction,
                  failure_rate=failure_rate, wait_time_seconds=wait_time_seconds,
                  timeout_s=timeout_s, consumer="plain SQS consumer (boto3)")
    meta = run_metadata("redelivery", target, params, seed=seed, columns=COLUMNS)
    plan = attempt_plan(n_messages, poison_fraction=poison_fraction, failure_rate=failure_rate,
                        max_receive_count=max_receive_count, seed=seed)
    rows: list[dict] = []
    bar = progress_bar(n_messages, "messages settled", show_progress)
    t0_wall = time.time()

    def row(label, mid, event, attempt, at, observed_by, outcome=None, requested=None):
        rows.append({"message": label, "message_id": mid, "event": event, "attempt": attempt,
                     "outcome": outcome, "t_s": at - t0_wall,
                     "time_utc": datetime.fromtimestamp(at, UTC), "observed_by": observed_by,
                     "requested_s": None if requested is None else requested - t0_wall})

    try:
        with experiment_stack(target, stack_name) as stack:
            sqs = stack.client("sqs")
            dlq = stack.queue("dlq", visibility_timeout=max(60, visibility_timeout))
            queue = stack.queue("work", visibility_timeout=visibility_timeout,
                                dead_letter=dlq, max_receive_count=max_receive_count)
            labels, crashes = {}, {}
            t0_wall = time.time()
            for i in range(n_messages):
                label = f"m{i:02d}"
                mid = sqs.send_message(QueueUrl=queue.url,
                                       MessageBody=json.dumps({"label": label}))["MessageId"]
                labels[mid], crashes[mid] = label, plan[i]
            settled: set[str] = set()
            deadline = time.monotonic() + timeout_s
            while len(settled) < n_messages and time.monotonic() < deadline:
                asked = time.time()
                msgs = sqs.receive_message(
                    QueueUrl=queue.url, WaitTimeSeconds=wait_time_seconds,
                    MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
                now = time.time()
                for m in msgs:
                    mid, attrs = m["MessageId"], m.get("Attributes", {})
                    label, attempt = labels[mid], int(attrs["ApproximateReceiveCount"])
                    if attempt == 1:
                        row(label, mid, "sent", 0, int(attrs["SentTimestamp"]) / 1e3, "sqs")
                    if attempt <= crashes[mid]:
                        row(label, mid, "receive", attempt, now, "consumer", "crashed", asked)
                        row(label, mid, "visibility_expired", attempt,
                            now + visibility_timeout, "computed")
                    else:
                        row(label, mid, "receive", attempt, now, "consumer", "processed", asked)
                        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"])
                        row(label, mid, "delete", attempt, time.time(), "consumer")
                        settled.add(mid)
                        bar.update(1)
                dead = sqs.receive_message(QueueUrl=dlq.url, MaxNumberOfMessages=10,
                                           VisibilityTimeout=max(60, int(timeout_s))
                                           ).get("Messages", [])
                now = time.time()
                for m in dead:
                    mid = m["MessageId"]
                    if mid in labels and mid not in settled:
                        row(labels[mid], mid, "dlq", max_receive_count, now, "dlq poll")
                        settled.add(mid)
                        bar.update(1)
            processed = sum(1 for r in rows if r["event"] == "delete")
            dead_lettered = sum(1 for r in rows if r["event"] == "dlq")
            meta["accounting"] = {"sent": n_messages, "processed": processed,
                                  "dead_lettered": dead_lettered,
                                  "unaccounted": n_messages - processed - dead_lettered}
    finally:
        bar.close()
    df = tidy(rows, COLUMNS, meta)
    return df.sort_values(["message", "t_s"], kind="stable").reset_index(drop=True)


def attempts(events: pd.DataFrame) -> pd.DataFrame:
    """One row per delivery attempt: message, attempt, received (s), ended (s), how it
    ended (deleted / visibility expired), invisible_s; handy for tables and checks."""
    rec = events[events["event"] == "receive"]
    out = []
    for _, r in rec.iterrows():
        same = events[(events["message"] == r["message"]) & (events["attempt"] == r["attempt"])
                      & events["event"].isin(["delete", "visibility_expired"])]
        end = same.sort_values("t_s").iloc[0] if len(same) else None
        out.append({"message": r["message"], "attempt": int(r["attempt"]),
                    "requested_s": r["requested_s"], "received_s": r["t_s"],
                    "ended_s": None if end is None else end["t_s"],
                    "ended_by": None if end is None else end["event"],
                    "invisible_s": None if end is None else end["t_s"] - r["t_s"]})
    df = pd.DataFrame(out)
    df.attrs.update(events.attrs)
    df.attrs["columns"] = {
        "message": COLUMNS["message"], "attempt": "receive count of the attempt (count)",
        "requested_s": COLUMNS["requested_s"],
        "received_s": "receive time since first send (s)",
        "ended_s": "delete or visibility expiry time since first send (s)",
        "ended_by": "delete | visibility_expired",
        "invisible_s": "time the message was invisible in this attempt (s)"}
    return df


_LIFECYCLE_EVENTS = {"sent": "sent", "received": "receive", "deleted": "delete",
                     "visible_again": "visibility_expired", "moved_to_dlq": "dlq"}


def timeline_from_lifecycle(life: pd.DataFrame, labels: dict[str, str] | None = None
                            ) -> pd.DataFrame:
    """OFFLINE: a `lab.observe.lifecycle.fetch_lifecycle` frame -> the same event table as
    `redelivery()` (COLUMNS), so `lab.results.plots.message_timeline` draws consumers it did not
    drive (an event source mapping, several workers). Every time here is the endpoint's
    record (`observed_by="lifecycle"`); on AWS no such record exists.

    A receive's `outcome` is "processed" when the same attempt ends in a delete, else
    "crashed" (the message came back or went to the DLQ). `labels` maps message ids to
    lane names (default: m00, m01, ... in order of first appearance)."""
    ev = life[life["event"].isin(_LIFECYCLE_EVENTS)].copy()
    ev = ev.sort_values("time_ms", kind="stable")
    first = {mid: k for k, mid in enumerate(dict.fromkeys(ev["message_id"]))}
    t0 = ev["time_ms"].min() if len(ev) else 0.0
    rows, count = [], {}
    for r in ev.to_dict("records"):
        mid, event = r["message_id"], _LIFECYCLE_EVENTS[r["event"]]
        if event == "receive":
            count[mid] = int(r["receive_count"]) if pd.notna(r.get("receive_count")) \
                else count.get(mid, 0) + 1
        attempt = 0 if event == "sent" else count.get(mid, 0)
        label = (labels or {}).get(mid) or f"m{first[mid]:02d}"
        rows.append({"message": label, "message_id": mid, "event": event,
                     "attempt": attempt, "outcome": None, "t_s": (r["time_ms"] - t0) / 1e3,
                     "time_utc": pd.to_datetime(r["time_ms"], unit="ms", utc=True),
                     "observed_by": "lifecycle"})
    ended = {(x["message_id"], x["attempt"]) for x in rows if x["event"] == "delete"}
    for x in rows:
        if x["event"] == "receive":
            x["outcome"] = "processed" if (x["message_id"], x["attempt"]) in ended else "crashed"
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df.attrs.update(life.attrs)
    return df


def redelivery_lambda(target, *, n_messages: int = 4, visibility_timeout: int = 2,
                      max_receive_count: int = 2, poison_fraction: float = 0.25,
                      failure_rate: float = 0.3, batch_size: int = 1,
                      partial_failures: bool = False, seed: int = 0, timeout_s: float = 90.0,
                      show_progress: bool = True, stack_name: str = "redeliverylambda"
                      ) -> pd.DataFrame:
    """The same story with Lambda as the consumer: an event source mapping (`batch_size`,
    `ReportBatchItemFailures` if `partial_failures`) invokes the `recorder` handler, which
    fails the first k attempts of each message (`attempt_plan`).

    Timelines: offline from the endpoint's lifecycle record (every receive, expiry, delete
    and DLQ move, `observed_by="lifecycle"`); on AWS from the handler's own records
    (`LAB_RECORD` lines: each attempt's handler start and receive count) plus polls of the
    DLQ; there, visibility expiries are computed (receive + timeout) and deletions are not
    observed per message. Same columns as `redelivery()`.
    """
    params = dict(n_messages=n_messages, visibility_timeout=visibility_timeout,
                  max_receive_count=max_receive_count, poison_fraction=poison_fraction,
                  failure_rate=failure_rate, batch_size=batch_size,
                  partial_failures=partial_failures, timeout_s=timeout_s,
                  consumer="Lambda via an SQS event source mapping (recorder handler)")
    meta = run_metadata("redelivery_lambda", target, params, seed=seed, columns=COLUMNS)
    plan = attempt_plan(n_messages, poison_fraction=poison_fraction, failure_rate=failure_rate,
                        max_receive_count=max_receive_count, seed=seed)
    bar = progress_bar(n_messages, "messages settled", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            sqs = stack.client("sqs")
            dlq = stack.queue("dlq", visibility_timeout=max(60, int(timeout_s)))
            queue = stack.queue("work", visibility_timeout=visibility_timeout,
                                dead_letter=dlq, max_receive_count=max_receive_count)
            role = stack.role("fn-role", "lambda.amazonaws.com")
            fn = stack.function("recorder", "recorder", role_arn=role,
                                timeout=max(1, min(visibility_timeout, 3)),
                                environment={"LAB_PARTIAL_FAILURES":
                                             "1" if partial_failures else "0"})
            started_ms = int(time.time() * 1000) - 1000
            t0 = time.time()
            labels: dict[str, str] = {}
            for i in range(n_messages):
                body = {"lab": {"i": i, "fail_attempts": min(plan[i], 10**6)}}
                mid = sqs.send_message(QueueUrl=queue.url, MessageBody=json.dumps(body)
                                       )["MessageId"]
                labels[mid] = f"m{i:02d}"
            stack.event_source_mapping(fn, queue, batch_size=batch_size,
                                       report_batch_item_failures=partial_failures)
            processed: set[str] = set()
            dead: dict[str, float] = {}
            records = pd.DataFrame()
            deadline = time.monotonic() + timeout_s
            while len(processed) + len(dead) < n_messages and time.monotonic() < deadline:
                for m in sqs.receive_message(QueueUrl=dlq.url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=1).get("Messages", []):
                    dead.setdefault(m["MessageId"], time.time())
                records = logs.recorder_records(logs.log_events(
                    target, fn.name, "LAB_RECORD", start_ms=started_ms, timeout_s=0))
                if len(records):
                    processed = set(records.loc[~records["fails"].astype(bool), "message_id"])
                bar.update(len(processed) + len(dead) - bar.n if hasattr(bar, "n") else 0)
            meta["accounting"] = {"sent": n_messages, "processed": len(processed),
                                  "dead_lettered": len(dead),
                                  "unaccounted": n_messages - len(processed) - len(dead)}
            if target.is_offline:
                from lab.observe.lifecycle import fetch_lifecycle

                df = timeline_from_lifecycle(fetch_lifecycle(target, queue.url), labels)
                df.attrs.clear()
            else:
                df = _timeline_from_records(records, labels, dead, visibility_timeout, t0)
    finally:
        bar.close()
    out = tidy(df.to_dict("records"), COLUMNS, meta)
    return out.sort_values(["message", "t_s"], kind="stable").reset_index(drop=True)


def _timeline_from_records(records: pd.DataFrame, labels: dict[str, str],
                           dead: dict[str, float], visibility_timeout: float,
                           t0: float) -> pd.DataFrame:
    """AWS: events from the recorder's lines (handler clock) and DLQ polls (client clock)."""
    rows = []

    def add(mid, event, attempt, at_s, observed_by, outcome=None):
        rows.append({"message": labels.get(mid, mid), "message_id": mid, "event": event,
                     "attempt": attempt, "outcome": outcome, "t_s": at_s - t0,
                     "time_utc": datetime.fromtimestamp(at_s, UTC), "observed_by": observed_by})

    seen_sent = set()
    for rec in records.sort_values("handler_start_ms").to_dict("records") if len(records) else []:
        mid, attempt, at = rec["message_id"], int(rec["receive_count"]), rec["handler_start_ms"]
        if mid not in seen_sent and pd.notna(rec.get("sent_ms")):
            add(mid, "sent", 0, rec["sent_ms"] / 1e3, "sqs")
            seen_sent.add(mid)
        failed = bool(rec["fails"])
        add(mid, "receive", attempt, at / 1e3, "handler",
            "crashed" if failed else "processed")
        if failed:
            add(mid, "visibility_expired", attempt, at / 1e3 + visibility_timeout, "computed")
    for mid, at in dead.items():
        add(mid, "dlq", None, at, "dlq poll")
    return pd.DataFrame(rows, columns=list(COLUMNS))
