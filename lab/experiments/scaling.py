"""Concurrency under a backlog: how many invocations an SQS event source mapping runs at
once, capped by `ScalingConfig.MaximumConcurrency` (Lambda Developer Guide,
services-sqs-scaling).

Intervals come from the `recorder` handler's own clock (`LAB_RECORD` lines: start and end
of each invocation), so the same code measures offline and on AWS. Offline, the endpoint
also exposes the mapping's poller counts from its scaling MODEL (`GET /_lab/esm/stats`,
`esm_samples`); on AWS the nearest equivalents are the CloudWatch metrics
`ConcurrentExecutions` (per function) and the ESM's `PolledEventCount` (per minute).
"""

from __future__ import annotations

import json
import time

import pandas as pd

from lab.experiments.harness import send_batch
from lab.experiments.metadata import experiment_stack, progress_bar, run_metadata, tidy
from lab.observe import logs
from lab.stack.waits import poll_until
from lab.targets import require_offline

COLUMNS = {
    "invocation_id": "Lambda request id",
    "start_s": "handler start, since the first send (s)",
    "end_s": "handler end, since the first send (s)",
    "batch_size": "records in the invocation's batch (count)",
    "start": "cold or warm (REPORT Init Duration present)",
    "init_ms": "REPORT Init Duration (ms; empty when warm)",
    "environment": "execution environment (log stream name)",
}


def esm_backlog(target, *, n_messages: int = 20, hold_ms: float = 300.0, batch_size: int = 1,
                max_concurrency: int | None = 2, timeout_s: float = 60.0,
                show_progress: bool = True, stack_name: str = "backlog") -> pd.DataFrame:
    """Queue `n_messages`, then enable a mapping (`batch_size`, `max_concurrency`) to the
    `recorder` handler holding each invocation `hold_ms`. One row per invocation;
    `peak_concurrency(df)` and `lab.results.plots.concurrency_over_time(df)` read it."""
    params = dict(n_messages=n_messages, hold_ms=hold_ms, batch_size=batch_size,
                  max_concurrency=max_concurrency, timeout_s=timeout_s, handler="recorder")
    meta = run_metadata("esm_backlog", target, params, seed=None, columns=COLUMNS)
    bar = progress_bar(n_messages, "messages handled", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            sqs = stack.client("sqs")
            queue = stack.queue("backlog", visibility_timeout=60)
            role = stack.role("fn-role", "lambda.amazonaws.com")
            fn = stack.function("recorder", "recorder", role_arn=role, timeout=30)
            started_ms = int(time.time() * 1000) - 1000
            t0 = time.time()
            body = json.dumps({"lab": {"sleep_ms": hold_ms}})
            for start in range(0, n_messages, 10):
                send_batch(sqs, queue.url, [{"Id": str(k), "MessageBody": body}
                                            for k in range(start, min(start + 10, n_messages))])
            uuid = stack.event_source_mapping(fn, queue, batch_size=batch_size,
                                              maximum_concurrency=max_concurrency)
            latest = {"records": pd.DataFrame()}

            def all_handled() -> bool | None:
                records = latest["records"] = logs.recorder_records(logs.log_events(
                    target, fn.name, "LAB_RECORD", start_ms=started_ms, timeout_s=0))
                done = records["message_id"].nunique() if len(records) else 0
                bar.update(done - getattr(bar, "n", done))
                return True if done >= n_messages else None

            try:
                poll_until(all_handled, timeout=timeout_s, poll_every=0.3)
            except TimeoutError:
                pass  # the accounting below reports how many were handled
            records = latest["records"]
            reports = logs.reports(target, fn.name, start_ms=started_ms,
                                          request_ids=records["request_id"].unique()
                                          if len(records) else (), timeout_s=timeout_s)
            meta["esm_uuid"] = uuid
            meta["accounting"] = {"sent": n_messages,
                                  "handled": int(records["message_id"].nunique())
                                  if len(records) else 0}
    finally:
        bar.close()
    rows = []
    reps = logs.reports_by_id(reports)
    if len(records):
        for rid, grp in records.groupby("request_id", sort=False):
            rep = reps.get(rid, {})
            rows.append({"invocation_id": rid,
                         "start_s": grp["handler_start_ms"].min() / 1e3 - t0,
                         "end_s": grp["handler_end_ms"].max() / 1e3 - t0,
                         "batch_size": int(grp["batch_size"].iloc[0]),
                         "start": rep.get("start"), "init_ms": rep.get("init_duration_ms"),
                         "environment": grp["log_stream"].iloc[0]})
    df = tidy(rows, COLUMNS, meta)
    return df.sort_values("start_s").reset_index(drop=True)


def peak_concurrency(df: pd.DataFrame) -> int:
    """Most invocations running at the same moment (from start_s/end_s)."""
    if df.empty:
        return 0
    from lab.results.plots import concurrency_steps

    _, level = concurrency_steps(df["start_s"], df["end_s"])
    return int(level.max())


def esm_samples(target, uuid: str) -> pd.DataFrame:
    """OFFLINE ONLY: the mapping's sampled concurrency and the scaling MODEL's pollers and
    target over time (`GET /_lab/esm/stats?uuid=`; t in seconds since the mapping was
    created). AWS equivalent: CloudWatch `ConcurrentExecutions`, per minute."""
    require_offline(target, "ESM scaling samples",
                    "read the ConcurrentExecutions metric from CloudWatch")
    body = target.lab.esm_stats(uuid, invocations=False)
    df = pd.DataFrame(body.get("concurrency", []),
                      columns=["t", "concurrency", "pollers", "target"])
    df.attrs.update(target="offline", region=getattr(target, "region", None),
                    note=body.get("scaling_note"))
    return df
