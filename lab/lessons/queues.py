"""Queue lessons (notebooks 01 and 02): ordering and duplicates with several consumers,
and how the visibility timeout trades duplicates against recovery time.

- `ordering`: a producer sends numbered messages (some sends repeated, the way a producer
  retries when it lost the response), several consumers receive, work and delete them.
  Standard queues: best-effort order and at-least-once delivery; FIFO queues: order within
  a `MessageGroupId`, retries within the 5-minute deduplication interval suppressed
  (SQS Developer Guide, standard-queues, FIFO-queues-exactly-once-processing).
- `visibility_sweep`: workers whose jobs take a known time, some of which crash, on queues
  with different visibility timeouts (optionally with a ChangeMessageVisibility
  heartbeat). Too short a timeout re-delivers messages still being worked on (duplicates);
  too long a timeout leaves a crashed worker's message hidden (slow recovery)
  (sqs-visibility-timeout).

Same boto3 calls offline and on AWS; times are the consumers' clocks. What offline does
not model: the rare duplicate a standard queue may deliver on its own (AWS stores copies
on several servers), so offline duplicates come only from the mechanisms measured here.
"""

from __future__ import annotations

import json
import random
import threading
import time

import numpy as np
import pandas as pd
from botocore.exceptions import ClientError

from lab.experiments.harness import send_batch
from lab.experiments.metadata import experiment_stack, progress_bar, run_metadata, tidy

# -- ordering ----------------------------------------------------------------------------
ORDERING_COLUMNS = {
    "queue_type": "standard or fifo",
    "seq": "the producer's send order of the logical message (count, from 0)",
    "group": "message group (FIFO MessageGroupId; standard: a message attribute)",
    "message_id": "SQS MessageId of the delivered copy",
    "consumer": "consumer that received it (index, from 0)",
    "receive_count": "ApproximateReceiveCount of this delivery (count)",
    "received_s": "when the receive returned, since the first send (s)",
    "done_s": "when the consumer finished processing it, since the first send (s)",
    "duplicate": "True if this seq had already been delivered (bool)",
    "out_of_order": "True if a later-sent message of the same group finished first (bool)",
}

ORDERING_SUMMARY_COLUMNS = {
    "queue_type": ORDERING_COLUMNS["queue_type"],
    "messages": "distinct messages the producer meant to send (count)",
    "groups": "message groups the messages were spread over (count)",
    "consumers": "consumers receiving at the same time (count)",
    "send_s": "time the producer took to send every message (s)",
    "retried_sends": "sends the producer repeated (count)",
    "deliveries": "messages delivered to consumers, duplicates included (count)",
    "duplicates": "deliveries of a message already delivered (count)",
    "out_of_order": "first deliveries finished after a later message of their group (count)",
    "out_of_order_pct": "out_of_order / messages (%)",
    "elapsed_s": "first send to last message processed (s)",
}


def _send_all(sqs, url: str, *, fifo: bool, messages: int, groups: int,
              retry_fraction: float, run_id: str, rng: random.Random) -> int:
    """Send `messages` numbered bodies in batches of 10; repeat a `retry_fraction` of the
    sends right after their batch (same MessageDeduplicationId on FIFO). Returns retries."""
    retries = 0
    for start in range(0, messages, 10):
        entries = []
        for seq in range(start, min(start + 10, messages)):
            group = f"g{seq % groups}"
            entry = {"Id": str(seq), "MessageBody": json.dumps({"seq": seq, "group": group}),
                     "MessageAttributes": {"group": {"DataType": "String", "StringValue": group}}}
            if fifo:
                entry["MessageGroupId"] = group
                entry["MessageDeduplicationId"] = f"{run_id}-{seq}"
            entries.append(entry)
        send_batch(sqs, url, entries)
        again = [e for e in entries if rng.random() < retry_fraction]
        if again:
            send_batch(sqs, url, again)
            retries += len(again)
    return retries


def ordering(target, *, queue_type: str = "standard", messages: int = 200, consumers: int = 4,
             groups: int = 4, retry_fraction: float = 0.05, work_ms: tuple[float, float] = (1, 6),
             batch_size: int = 10, wait_time_seconds: int = 1, seed: int = 0,
             timeout_s: float = 60.0, show_progress: bool = True,
             stack_name: str = "ordering") -> pd.DataFrame:
    """Send `messages` (message i in group i % `groups`; a `retry_fraction` of sends
    repeated), then `consumers` threads receive up to `batch_size` at a time, process each
    message for a seeded random `work_ms` and delete the batch, until every message has
    been delivered and a receive comes back empty. One row per delivery (ORDERING_COLUMNS);
    `attrs["send_s"]` is how long the producer took to send everything (s), and
    `attrs["retried_sends"]` how many sends it repeated.
    """
    if queue_type not in ("standard", "fifo"):
        raise ValueError("queue_type is 'standard' or 'fifo'")
    if not 1 <= batch_size <= 10:
        raise ValueError("MaxNumberOfMessages must be 1..10 (SQS limit)")
    fifo = queue_type == "fifo"
    params = dict(queue_type=queue_type, messages=messages, consumers=consumers, groups=groups,
                  retry_fraction=retry_fraction, work_ms=list(work_ms), batch_size=batch_size,
                  wait_time_seconds=wait_time_seconds, timeout_s=timeout_s)
    meta = run_metadata("ordering", target, params, seed=seed, columns=ORDERING_COLUMNS)
    rows: list[dict] = []
    lock = threading.Lock()
    seen: set[int] = set()
    errors: list[BaseException] = []
    bar = progress_bar(messages, f"{queue_type}: messages delivered", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            sqs = stack.client("sqs")
            queue = stack.queue(f"{queue_type}-orders", fifo=fifo, visibility_timeout=30)
            t0 = time.monotonic()
            retries = _send_all(sqs, queue.url, fifo=fifo, messages=messages, groups=groups,
                                retry_fraction=retry_fraction, run_id=stack.run_id,
                                rng=random.Random(seed))
            meta["send_s"] = time.monotonic() - t0  # the producer's time to hand over all
            deadline = t0 + timeout_s

            def consume(index: int) -> None:
                rng = random.Random(seed * 1_000 + index + 1)
                try:
                    while time.monotonic() < deadline:
                        msgs = sqs.receive_message(
                            QueueUrl=queue.url, MaxNumberOfMessages=batch_size,
                            WaitTimeSeconds=wait_time_seconds,
                            MessageSystemAttributeNames=["ApproximateReceiveCount"],
                        ).get("Messages", [])
                        received = time.monotonic() - t0
                        if not msgs:
                            with lock:
                                if len(seen) >= messages:
                                    return
                            continue
                        for m in msgs:
                            time.sleep(rng.uniform(*work_ms) / 1e3)
                            body = json.loads(m["Body"])
                            with lock:
                                new = body["seq"] not in seen
                                seen.add(body["seq"])
                                rows.append({
                                    "queue_type": queue_type, "seq": body["seq"],
                                    "group": body["group"], "message_id": m["MessageId"],
                                    "consumer": index,
                                    "receive_count": int(m["Attributes"]["ApproximateReceiveCount"]),
                                    "received_s": received, "done_s": time.monotonic() - t0,
                                    "duplicate": None, "out_of_order": None})
                            if new:
                                bar.update(1)
                        sqs.delete_message_batch(QueueUrl=queue.url, Entries=[
                            {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]}
                            for k, m in enumerate(msgs)])
                except BaseException as exc:  # surfaced in the caller's thread
                    errors.append(exc)

            threads = [threading.Thread(target=consume, args=(i,), daemon=True)
                       for i in range(consumers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout_s + 30)
            if errors:
                raise errors[0]
            if len(seen) < messages:
                raise TimeoutError(f"only {len(seen)} of {messages} messages delivered in "
                                   f"{timeout_s} s")
            meta["retried_sends"] = retries
    finally:
        bar.close()
    df = tidy(rows, ORDERING_COLUMNS, meta)
    return _mark_ordering(df)


def _mark_ordering(df: pd.DataFrame) -> pd.DataFrame:
    """Fill `duplicate` (by receive time) and `out_of_order` (first deliveries, by finish
    time within the group)."""
    attrs = dict(df.attrs)
    df = df.sort_values(["received_s", "done_s"], kind="stable").reset_index(drop=True)
    df["duplicate"] = df.duplicated("seq", keep="first")
    df["out_of_order"] = False
    firsts = df[~df["duplicate"]].sort_values("done_s", kind="stable")
    for _, part in firsts.groupby("group", sort=False):
        later_done = part["seq"].cummax().shift(fill_value=-1)
        df.loc[part.index, "out_of_order"] = (part["seq"] < later_done).to_numpy()
    df["duplicate"] = df["duplicate"].astype(bool)
    df["out_of_order"] = df["out_of_order"].astype(bool)
    df.attrs.update(attrs)
    return df


def summarize_ordering(*runs: pd.DataFrame) -> pd.DataFrame:
    """One row per `ordering` run: deliveries, duplicates, out-of-order messages."""
    out = []
    for df in runs:
        p = df.attrs["parameters"]
        out.append({"queue_type": p["queue_type"], "messages": p["messages"],
                    "groups": p["groups"], "consumers": p["consumers"],
                    "send_s": df.attrs.get("send_s", np.nan),
                    "retried_sends": df.attrs.get("retried_sends", 0), "deliveries": len(df),
                    "duplicates": int(df["duplicate"].sum()),
                    "out_of_order": int(df["out_of_order"].sum()),
                    "out_of_order_pct": 100.0 * df["out_of_order"].sum() / p["messages"],
                    "elapsed_s": float(df["done_s"].max())})
    summary = pd.DataFrame(out, columns=list(ORDERING_SUMMARY_COLUMNS))
    summary.attrs.update(runs[0].attrs)
    summary.attrs["experiment"] = "ordering-summary"
    summary.attrs["columns"] = ORDERING_SUMMARY_COLUMNS
    summary.attrs["parameters"] = {"runs": [df.attrs["parameters"] for df in runs]}
    return summary


# -- visibility timeout sweep ------------------------------------------------------------
SWEEP_COLUMNS = {
    "visibility_timeout_s": "the queue's VisibilityTimeout (s)",
    "heartbeat": "True if workers extended visibility with ChangeMessageVisibility (bool)",
    "message": "message index within its sweep point (count, from 0)",
    "message_id": "SQS MessageId",
    "attempt": "ApproximateReceiveCount of this delivery (count)",
    "worker": "worker that received it (index, from 0)",
    "work_s": "how long the job takes when it runs to the end (s)",
    "sent_s": "when the SendMessageBatch carrying the message returned, since the sweep "
              "point's first send (s)",
    "requested_s": "when the ReceiveMessage call that got it was made, since the sweep point's "
                   "first send (s); SQS hid the message between this and received_s",
    "received_s": "when the receive returned, since the sweep point's first send (s)",
    "ended_s": "when the worker finished (deleted) or crashed (s)",
    "outcome": "completed (deleted) | crashed (stopped without deleting)",
    "heartbeats": "ChangeMessageVisibility calls during this attempt (count)",
    "kind": "first | recovery (redelivered after a crash) | duplicate (redelivered while "
            "another worker held it or after it was done)",
    "recovery_s": "for a recovery: time from the crash to this redelivery (s), else NaN",
}

SWEEP_SUMMARY_COLUMNS = {
    "visibility_timeout_s": SWEEP_COLUMNS["visibility_timeout_s"],
    "heartbeat": SWEEP_COLUMNS["heartbeat"],
    "messages": "messages sent (count)",
    "deliveries": "receives of those messages (count)",
    "crashes": "attempts that crashed (count)",
    "duplicates": "deliveries of kind duplicate (count)",
    "duplicates_per_message": "duplicates / messages (deliveries/message)",
    "completions": "attempts that ran the job to the end (count): side effects without "
                   "idempotency",
    "recovery_mean_s": "mean time from a crash to the redelivery (s)",
    "recovery_max_s": "longest time from a crash to the redelivery (s)",
    "elapsed_s": "first send to every message completed (s)",
}


def _work_point(sqs, url: str, *, vt: int, heartbeat: bool, n: int, workers: int,
                work: list[float], crash: set[int], crash_after_s: float, stop_after: float,
                bar, rows: list[dict], lock: threading.Lock) -> None:
    """Run one sweep point: send `n` messages, then `workers` threads work them off."""
    t0 = time.monotonic()
    ids, sent = {}, {}
    for start in range(0, n, 10):
        ok = send_batch(sqs, url, [{"Id": str(i), "MessageBody": json.dumps({"message": i})}
                                   for i in range(start, min(start + 10, n))])
        ids.update({int(e["Id"]): e["MessageId"] for e in ok})
        sent.update({int(e["Id"]): time.monotonic() - t0 for e in ok})
    done: set[int] = set()
    crashed_once: set[int] = set()
    deadline = t0 + stop_after

    def work_one(index: int, m: dict, requested: float) -> None:
        received = time.monotonic()
        i = json.loads(m["Body"])["message"]
        attempt = int(m["Attributes"]["ApproximateReceiveCount"])
        with lock:
            crashes = i in crash and i not in crashed_once
            if crashes:
                crashed_once.add(i)
        length = crash_after_s if crashes else work[i]
        beats, last_beat = 0, received
        finish = received + length
        while (now := time.monotonic()) < finish:
            if heartbeat and now - last_beat >= vt / 2:
                try:  # extend: the message stays hidden `vt` seconds from now
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                  VisibilityTimeout=vt)
                    beats += 1
                except ClientError:
                    pass  # the message is no longer ours (it was redelivered)
                last_beat = now
            time.sleep(min(finish - now, 0.05))
        if not crashes:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        ended = time.monotonic()
        with lock:
            rows.append({"visibility_timeout_s": vt, "heartbeat": heartbeat, "message": i,
                         "message_id": m["MessageId"], "attempt": attempt, "worker": index,
                         "work_s": work[i], "sent_s": sent[i], "requested_s": requested - t0,
                         "received_s": received - t0, "ended_s": ended - t0,
                         "outcome": "crashed" if crashes else "completed",
                         "heartbeats": beats, "kind": None, "recovery_s": np.nan})
            if not crashes and i not in done:
                done.add(i)
                bar.update(1)

    def worker(index: int) -> None:
        while time.monotonic() < deadline:
            with lock:
                if len(done) >= n:
                    return
            requested = time.monotonic()
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1,
                                       MessageSystemAttributeNames=["ApproximateReceiveCount"]
                                       ).get("Messages", [])
            for m in msgs:
                work_one(index, m, requested)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(stop_after + 30)
    if len(done) < n:
        raise TimeoutError(f"visibility {vt} s: only {len(done)} of {n} messages completed "
                           f"in {stop_after} s")


def _classify(df: pd.DataFrame) -> pd.DataFrame:
    """`kind` and `recovery_s` per delivery, from the order of a message's deliveries."""
    attrs = dict(df.attrs)
    df = df.sort_values(["visibility_timeout_s", "heartbeat", "message", "received_s"],
                        kind="stable").reset_index(drop=True)
    kinds, recovery = [], []
    for _, part in df.groupby(["visibility_timeout_s", "heartbeat", "message"], sort=False):
        previous = None
        for _, r in part.iterrows():
            if previous is None:
                kinds.append("first")
                recovery.append(np.nan)
            elif previous["outcome"] == "crashed" and previous["ended_s"] <= r["received_s"]:
                kinds.append("recovery")
                recovery.append(r["received_s"] - previous["ended_s"])
            else:
                kinds.append("duplicate")
                recovery.append(np.nan)
            previous = r
    df["kind"] = kinds
    df["recovery_s"] = recovery
    df.attrs.update(attrs)
    return df


def visibility_sweep(target, *, visibility_timeouts: tuple[int, ...] = (1, 2, 3, 5),
                     heartbeat: tuple[bool, ...] = (False, True), messages: int = 8,
                     workers: int = 4, work_s: tuple[float, float] = (1.4, 2.6),
                     crash_fraction: float = 0.25, crash_after_s: float = 0.25, seed: int = 0,
                     timeout_s: float = 60.0, show_progress: bool = True,
                     stack_name: str = "visibility") -> pd.DataFrame:
    """For every visibility timeout x heartbeat setting (the sweep points run at the same
    time, each on its own queue), send `messages`; `workers` receive one at a time and
    run each job for its seeded duration in `work_s`. The first attempt of a seeded
    `crash_fraction` of the messages crashes `crash_after_s` after the receive (the worker
    never deletes it). With a heartbeat, a worker calls ChangeMessageVisibility every
    timeout/2 seconds while it works. One row per delivery (SWEEP_COLUMNS).
    """
    if min(visibility_timeouts) < 0 or max(visibility_timeouts) > 43_200:
        raise ValueError("VisibilityTimeout must be 0..43200 s (SQS limit)")
    params = dict(visibility_timeouts=list(visibility_timeouts), heartbeat=list(heartbeat),
                  messages=messages, workers=workers, work_s=list(work_s),
                  crash_fraction=crash_fraction, crash_after_s=crash_after_s,
                  timeout_s=timeout_s)
    meta = run_metadata("visibility-sweep", target, params, seed=seed, columns=SWEEP_COLUMNS,
                        notes="A crash is modelled as a worker that stops without deleting; "
                              "a replacement worker takes its place at once.")
    rng = np.random.default_rng(seed)
    work = rng.uniform(*work_s, messages).round(3).tolist()
    crash = set(rng.choice(messages, size=int(round(crash_fraction * messages)),
                           replace=False).tolist())
    points = [(vt, hb) for vt in visibility_timeouts for hb in heartbeat]
    rows: list[dict] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    bar = progress_bar(messages * len(points), "messages completed", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            queues = {p: stack.queue(f"vt{p[0]}-{'hb' if p[1] else 'plain'}",
                                     visibility_timeout=p[0]) for p in points}

            def run(point) -> None:
                try:  # a client per point: its connection pool serves the point's workers
                    _work_point(target.client("sqs"), queues[point].url, vt=point[0], heartbeat=point[1],
                                n=messages, workers=workers, work=work, crash=crash,
                                crash_after_s=crash_after_s, stop_after=timeout_s, bar=bar,
                                rows=rows, lock=lock)
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in points]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout_s + 60)
            if errors:
                raise errors[0]
    finally:
        bar.close()
    meta["work_s_per_message"] = work
    meta["crashing_messages"] = sorted(crash)
    return _classify(tidy(rows, SWEEP_COLUMNS, meta))


def summarize_sweep(df: pd.DataFrame) -> pd.DataFrame:
    """Per sweep point: deliveries, duplicates, crashes, completions, recovery times."""
    out = []
    n = df.attrs["parameters"]["messages"]
    for (vt, hb), part in df.groupby(["visibility_timeout_s", "heartbeat"], sort=True):
        rec = part["recovery_s"].dropna()
        dup = int((part["kind"] == "duplicate").sum())
        out.append({"visibility_timeout_s": vt, "heartbeat": bool(hb), "messages": n,
                    "deliveries": len(part), "crashes": int((part["outcome"] == "crashed").sum()),
                    "duplicates": dup, "duplicates_per_message": dup / n,
                    "completions": int((part["outcome"] == "completed").sum()),
                    "recovery_mean_s": float(rec.mean()) if len(rec) else np.nan,
                    "recovery_max_s": float(rec.max()) if len(rec) else np.nan,
                    "elapsed_s": float(part.loc[part["outcome"] == "completed", "ended_s"].max())})
    summary = pd.DataFrame(out, columns=list(SWEEP_SUMMARY_COLUMNS))
    summary.attrs.update(df.attrs)
    summary.attrs["experiment"] = "visibility-sweep-summary"
    summary.attrs["columns"] = SWEEP_SUMMARY_COLUMNS
    return summary


def sweep_events(df: pd.DataFrame, visibility_timeout_s: int, heartbeat: bool) -> pd.DataFrame:
    """One sweep point's deliveries as timeline events (the columns `lab.results.plots.
    message_timeline` draws: message, event, attempt, t_s): sent, each receive, its delete,
    and, when no delete or heartbeat kept it hidden, the visibility expiry (computed as
    receive + timeout, as the SQS docs define it)."""
    part = df[(df["visibility_timeout_s"] == visibility_timeout_s)
              & (df["heartbeat"] == heartbeat)]
    rows = []
    for (i, mid), deliveries in part.groupby(["message", "message_id"], sort=True):
        label = f"m{i:02d}"
        rows.append({"message": label, "message_id": mid, "event": "sent", "attempt": 0,
                     "outcome": None, "t_s": float(deliveries["sent_s"].iloc[0])})
        for _, r in deliveries.iterrows():
            rows.append({"message": label, "message_id": mid, "event": "receive",
                         "attempt": int(r["attempt"]), "outcome": r["outcome"],
                         "t_s": float(r["received_s"])})
            if r["outcome"] == "completed":
                rows.append({"message": label, "message_id": mid, "event": "delete",
                             "attempt": int(r["attempt"]), "outcome": None,
                             "t_s": float(r["ended_s"])})
            expires = r["received_s"] + visibility_timeout_s
            if r["outcome"] == "crashed" or (not heartbeat and expires < r["ended_s"]):
                rows.append({"message": label, "message_id": mid,
                             "event": "visibility_expired", "attempt": int(r["attempt"]),
                             "outcome": None, "t_s": float(expires)})
    events = pd.DataFrame(rows, columns=["message", "message_id", "event", "attempt",
                                         "outcome", "t_s"])
    events = events.sort_values(["message", "t_s"], kind="stable").reset_index(drop=True)
    events.attrs.update(df.attrs)
    events.attrs["experiment"] = "visibility-sweep-events"
    events.attrs["parameters"] = {**df.attrs.get("parameters", {}),
                                  "visibility_timeout": visibility_timeout_s,
                                  "heartbeat_point": heartbeat}
    events.attrs["columns"] = {
        "message": "message label (m00, m01, ...; one lane in a timeline)",
        "message_id": "SQS MessageId", "event": "sent | receive | delete | visibility_expired",
        "attempt": "ApproximateReceiveCount at this event (count; 0 for sent)",
        "outcome": "for receive: completed or crashed; else empty",
        "t_s": "time since the sweep point's first send (s)"}
    return events
