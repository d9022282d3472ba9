"""Short vs long polling: how many ReceiveMessage calls (and empty receives) each message
costs. SQS bills every API call, empty receives included, so this is the cost argument
for long polling (SQS Developer Guide, sqs-short-and-long-polling).

Same boto3 calls offline and on AWS. One difference the offline endpoint does not model:
a short poll on AWS samples a subset of SQS servers and may return nothing even when
messages are queued; offline a short poll sees every visible message. The count of empty
receives per message also depends on how fast the loop can ask: offline an empty short poll
is a loopback call of a few ms, on AWS a network round trip, so the offline ratio is this
machine's, not AWS's; the direction (long polling far cheaper) carries over.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pandas as pd

from lab.experiments.harness import arrival_times
from lab.experiments.metadata import experiment_stack, progress_bar, run_metadata, tidy

COLUMNS = {
    "mode": "polling mode: 'short' (WaitTimeSeconds=0) or 'long (N s)'",
    "wait_time_s": "WaitTimeSeconds of the receive calls (s)",
    "call": "sequence number of the API call within its mode (count, from 0)",
    "action": "SQS API action called (ReceiveMessage or DeleteMessageBatch)",
    "t_s": "when the call started, since the mode's first send (s)",
    "duration_ms": "client round trip of the call (ms)",
    "messages": "messages the call returned or deleted (count)",
    "empty": "True for a ReceiveMessage that returned no message",
}

SUMMARY_COLUMNS = {
    "mode": COLUMNS["mode"],
    "messages": "messages received and deleted (count)",
    "receive_calls": "ReceiveMessage calls (count)",
    "empty_receives": "ReceiveMessage calls that returned nothing (count)",
    "delete_calls": "DeleteMessageBatch calls (count)",
    "api_calls": "receive + delete calls (count)",
    "calls_per_message": "API calls per message delivered (calls/message)",
    "empty_fraction": "empty receives / receive calls (fraction)",
}


def _producer(sqs, url: str, schedule: np.ndarray, t0: float, stop: threading.Event) -> None:
    for i, at in enumerate(schedule):
        delay = t0 + at - time.monotonic()
        if delay > 0 and stop.wait(delay):
            return
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"i": i}))


def _consume(sqs, url: str, *, mode: str, wait: int, n_messages: int, max_messages: int,
             pause_s: float, t0: float, deadline: float, bar) -> list[dict]:
    rows, got, call = [], 0, 0
    while got < n_messages and time.monotonic() < deadline:
        start = time.monotonic()
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait,
                                   MaxNumberOfMessages=max_messages).get("Messages", [])
        end = time.monotonic()
        rows.append({"mode": mode, "wait_time_s": wait, "call": call, "action": "ReceiveMessage",
                     "t_s": start - t0, "duration_ms": (end - start) * 1e3,
                     "messages": len(msgs), "empty": not msgs})
        call += 1
        if msgs:
            start = time.monotonic()
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(msgs)])
            end = time.monotonic()
            rows.append({"mode": mode, "wait_time_s": wait, "call": call,
                         "action": "DeleteMessageBatch", "t_s": start - t0,
                         "duration_ms": (end - start) * 1e3, "messages": len(msgs),
                         "empty": False})
            call += 1
            got += len(msgs)
            bar.update(len(msgs))
        elif pause_s:
            time.sleep(pause_s)
    return rows


def polling(target, *, n_messages: int = 20, rate_per_s: float = 4.0,
            wait_times: tuple[int, ...] = (0, 20), max_messages: int = 1,
            short_poll_pause_s: float = 0.0, seed: int = 0, timeout_s: float = 120.0,
            show_progress: bool = True, stack_name: str = "polling") -> pd.DataFrame:
    """For each WaitTimeSeconds in `wait_times`, a producer sends `n_messages` at Poisson
    times (`rate_per_s`, same `seed`, so every mode sees the same schedule) while one
    consumer receives (up to `max_messages` per call) and deletes them.
    `short_poll_pause_s` is the consumer's sleep after an empty short poll (0: a tight
    loop). Returns one row per API call (see COLUMNS); `summarize()` gives calls/message.
    """
    if min(wait_times) < 0 or max(wait_times) > 20:
        raise ValueError("WaitTimeSeconds must be 0..20 (SQS limit)")
    params = dict(n_messages=n_messages, rate_per_s=rate_per_s, wait_times=list(wait_times),
                  max_messages=max_messages, short_poll_pause_s=short_poll_pause_s,
                  timeout_s=timeout_s)
    meta = run_metadata("polling", target, params, seed=seed, columns=COLUMNS,
                        notes="Offline short polls see every visible message; on AWS a short "
                              "poll samples a subset of servers and can return empty.")
    schedule = arrival_times(n_messages, rate_per_s, seed)
    rows: list[dict] = []
    bar = progress_bar(n_messages * len(wait_times), "polling", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            sqs = stack.client("sqs")
            for wait in wait_times:
                mode = "short" if wait == 0 else f"long ({wait} s)"
                queue = stack.queue(f"poll-{wait}s")
                stop = threading.Event()
                t0 = time.monotonic()
                producer = threading.Thread(target=_producer, daemon=True,
                                            args=(sqs, queue.url, schedule, t0, stop))
                producer.start()
                try:
                    rows += _consume(sqs, queue.url, mode=mode, wait=wait,
                                     n_messages=n_messages, max_messages=max_messages,
                                     pause_s=short_poll_pause_s, t0=t0,
                                     deadline=t0 + timeout_s, bar=bar)
                finally:
                    stop.set()
                    producer.join(timeout=30)
    finally:
        bar.close()
    return tidy(rows, COLUMNS, meta)


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Per mode: messages, receive calls, empty receives, delete calls, API calls per
    message and the empty-receive fraction (keeps the run's attrs, so charts can label
    the source)."""
    rec = df[df["action"] == "ReceiveMessage"]
    dele = df[df["action"] == "DeleteMessageBatch"]
    out = pd.DataFrame({
        "messages": rec.groupby("mode", sort=False)["messages"].sum(),
        "receive_calls": rec.groupby("mode", sort=False).size(),
        "empty_receives": rec.groupby("mode", sort=False)["empty"].sum(),
        "delete_calls": dele.groupby("mode", sort=False).size(),
    }).fillna(0).astype(int).reset_index()
    out["api_calls"] = out["receive_calls"] + out["delete_calls"]
    out["calls_per_message"] = out["api_calls"] / out["messages"].clip(lower=1)
    out["empty_fraction"] = out["empty_receives"] / out["receive_calls"].clip(lower=1)
    out.attrs.update(df.attrs)
    out.attrs["columns"] = SUMMARY_COLUMNS
    out.attrs["experiment"] = "polling-summary"
    return out
