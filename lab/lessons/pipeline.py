"""Measurements of the whole pipeline (notebooks 06 and 07): HTTP API -> SQS -> Lambda with
the `photo_processor` handlers (lab/functions), which store results in DynamoDB.

Notebook 06 (traffic through a stack the notebook built itself):
- `send_photos`: POST upload notices to the API (Poisson schedule or a burst from several
  client threads); one row per request, with the SQS MessageId from the response.
- `trace`: join those requests with the handler's `LAB_RECORD` lines, REPORT lines, the API
  access log and (offline) the queue's lifecycle record: every hop of every message.
- `batching_tradeoff`: the same traffic under several (BatchSize, window) settings of one
  mapping: latency against invocations per message (the cost driver).
- `burst`: a burst over HTTP; queue depth, handler throughput and (offline) the mapping's
  concurrency and its scaling MODEL's target over time.

Notebook 07 (failure injection, each variant in its own stack, torn down in `finally`):
- `failure_run`: variants (handler, batch-failure mode, injected fault, batch size, slow
  downstream...) run side by side on the same messages until every message is processed
  or in the DLQ; per-message outcomes, per-attempt records, depth samples and (offline)
  the mapping's invocation outcomes.
- `accounting`: processed / dead-lettered / deleted unprocessed / unaccounted per variant
  (unaccounted must be 0; "deleted unprocessed" is what a mapping without
  ReportBatchItemFailures does to the failures a handler reports).

Sources: the handler's own clock and outcome (`LAB_RECORD`), SQS attributes, DynamoDB, the
DLQ (both targets); `lab.observe.lifecycle` and `/_lab/esm/stats` are OFFLINE ONLY (the scaling
numbers from the latter are a MODEL of services-sqs-scaling). On AWS the nearest
equivalents are CloudWatch metrics (per minute).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from lab.experiments import tracer
from lab.experiments.harness import (
    DepthSampler,
    arrival_times,
    faulty_indices,
    receive_all,
    send_batch,
)
from lab.experiments.metadata import experiment_stack, progress_bar, run_metadata, tidy
from lab.observe import logs
from lab.stack import wait_for_mapping
from lab.stack.coldstart import warm_up
from lab.stack.http_api import post_json
from lab.stack.waits import poll_until
from lab.targets import require_offline

# -- DynamoDB: the photo results table ----------------------------------------------------


def create_photo_table(target, name: str) -> str:
    """Create (or get) the results table (partition key `photo_id`, on-demand)."""
    ddb = target.client("dynamodb")
    try:
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "photo_id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "photo_id",
                                                "AttributeType": "S"}])
    except ddb.exceptions.ResourceInUseException:
        pass
    ddb.get_waiter("table_exists").wait(TableName=name,
                                        WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return name


def delete_photo_table(target, name: str) -> None:
    ddb = target.client("dynamodb")
    try:
        ddb.delete_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass


def photo_results(target, table: str) -> pd.DataFrame:
    """Every stored photo: photo_id, status (processed | rejected), message_id,
    request_id, receive_count, processed_ms, thumbnail."""
    ddb = target.client("dynamodb")
    rows = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            rows.append({k: float(v["N"]) if "N" in v else v.get("S") for k, v in item.items()})
    cols = ["photo_id", "status", "message_id", "request_id", "receive_count", "processed_ms",
            "thumbnail"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values("photo_id").reset_index(drop=True)


# -- HTTP traffic -------------------------------------------------------------------------
SEND_COLUMNS = {
    "request": "request number (count, from 0)",
    "photo_id": "the photo the upload notice names",
    "t_s": "client send time since the first request (s)",
    "status": "HTTP status the client received",
    "api_request_id": "API Gateway request id (apigw-requestid header)",
    "message_id": "SQS MessageId from the SendMessage response",
    "client_send_ms": "client clock before the POST (epoch ms)",
    "client_response_ms": "client clock when the response arrived (epoch ms)",
    "http_ms": "client round trip of the POST (ms)",
}


def _message_id(text: str) -> str | None:
    try:
        return json.loads(text)["SendMessageResponse"]["SendMessageResult"]["MessageId"]
    except (ValueError, KeyError, TypeError):
        return None


def send_photos(url: str, n: int, *, rate_per_s: float | None = 10.0, concurrency: int = 1,
                seed: int = 0, prefix: str = "p", size_bytes: int = 200_000,
                lab=None, show_progress: bool = True) -> pd.DataFrame:
    """POST `n` upload notices `{"photo_id", "size_bytes", "lab"}` to `url`; `lab` is a
    dict for every request or a function of the request number (failure injection).

    `rate_per_s`: Poisson arrivals (seeded) from one client; `None`: as fast as
    `concurrency` client threads go (a burst). One row per request (SEND_COLUMNS)."""
    schedule = arrival_times(n, rate_per_s, seed) if rate_per_s else np.zeros(n)
    rows: list[dict] = [{} for _ in range(n)]
    bar = progress_bar(n, "HTTP requests", show_progress)
    t0 = time.time()

    def one(i: int) -> None:
        delay = t0 + schedule[i] - time.time()
        if delay > 0:
            time.sleep(delay)
        photo_id = f"{prefix}{i:04d}"
        send = time.time() * 1e3
        fields = lab(i) if callable(lab) else dict(lab or {})
        status, req_id, text = post_json(url, {"photo_id": photo_id, "size_bytes": size_bytes,
                                               "lab": dict(fields, i=i)})
        done = time.time() * 1e3
        rows[i] = {"request": i, "photo_id": photo_id, "t_s": send / 1e3 - t0,
                   "status": status, "api_request_id": req_id, "message_id": _message_id(text),
                   "client_send_ms": send, "client_response_ms": done, "http_ms": done - send}
        bar.update(1)

    try:
        if concurrency <= 1:
            for i in range(n):
                one(i)
        else:
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                list(pool.map(one, range(n)))
    finally:
        bar.close()
    params = dict(n=n, rate_per_s=rate_per_s, concurrency=concurrency, size_bytes=size_bytes)
    meta = {"experiment": "send_photos", "parameters": params, "seed": seed}
    df = pd.DataFrame(rows, columns=list(SEND_COLUMNS))
    df.attrs.update(meta, columns=dict(SEND_COLUMNS))
    return df


# -- joining the hops ---------------------------------------------------------------------
TRACE_COLUMNS = {
    **SEND_COLUMNS,
    "invocation_id": "Lambda request id of the invocation that first handled the message",
    "batch_size": "records in that invocation's batch (count)",
    "start": "cold or warm: whether that invocation ran INIT (REPORT Init Duration)",
    "outcome": "the handler's outcome for the message (processed, duplicate, failed...)",
    "sqs_sent_ms": "SQS SentTimestamp (epoch ms)",
    "first_receive_ms": "SQS ApproximateFirstReceiveTimestamp: the poller's receive (epoch ms)",
    "handler_start_ms": "handler clock when the invocation started (epoch ms)",
    "record_end_ms": "handler clock when this message's record was done (epoch ms)",
    "deleted_ms": "OFFLINE ONLY: lifecycle record of the message's deletion (epoch ms)",
    "integration_ms": "access log integration latency: API Gateway -> SQS SendMessage (ms)",
    "to_queue_ms": "sqs_sent_ms - client_send_ms: client to SQS (ms)",
    "queue_wait_ms": "first_receive_ms - sqs_sent_ms: waiting in the queue (ms)",
    "dispatch_ms": "handler_start_ms - first_receive_ms: batching + invoke, INIT if cold (ms)",
    "handler_ms": "record_end_ms - handler_start_ms: the batch's work up to this photo (ms)",
    "delete_ms": "deleted_ms - record_end_ms: rest of the batch + response + DeleteMessage (ms)",
    "end_to_end_ms": "handler_start_ms - client_send_ms: request to handler (ms)",
    "done_ms": "deleted_ms - client_send_ms: request to message deleted (ms, offline only)",
    "init_ms": "REPORT Init Duration of the invocation (ms; empty when warm)",
    "duration_ms": "REPORT Duration of the invocation (ms)",
}


def trace(target, sends: pd.DataFrame, function_name: str, *, start_ms: int,
          api_id: str | None = None, queue_url: str | None = None,
          timeout_s: float = 30.0) -> pd.DataFrame:
    """Every hop of every request in `sends` (TRACE_COLUMNS), joined by SQS MessageId."""
    ids = [m for m in sends["message_id"] if isinstance(m, str)]
    recs = tracer.handler_records(target, function_name, start_ms=start_ms, message_ids=ids,
                                  timeout_s=timeout_s)
    first = tracer.first_deliveries(recs, "message_id")
    invocations = {r["request_id"] for r in first.values()}
    reps = logs.reports_by_id(logs.reports(
        target, function_name, start_ms=start_ms, request_ids=invocations, timeout_s=timeout_s))
    rows = sends.to_dict("records")
    tracer.join_hops(rows, first, lambda row: row["message_id"], reps,
                     integration_ms=tracer.integration_latency(target, api_id),
                     deleted=tracer.deleted_times(target, queue_url))
    params = dict(sends.attrs.get("parameters", {}), function=function_name)
    meta = run_metadata("pipeline_trace", target, params, seed=sends.attrs.get("seed"),
                        columns=TRACE_COLUMNS)
    meta["accounting"] = tracer.accounting(rows)
    return tidy(rows, TRACE_COLUMNS, meta)


HOPS = ("to_queue_ms", "queue_wait_ms", "dispatch_ms", "handler_ms", "delete_ms")


def hop_summary(df: pd.DataFrame, hops=HOPS, stat: str = "median") -> pd.DataFrame:
    """One row per hop with its median (or `stat`), p90 and count (ms)."""
    out = [{"hop": h, stat: getattr(df[h].dropna(), stat)(), "p90": df[h].dropna().quantile(0.9),
            "count": int(df[h].notna().sum())} for h in hops if h in df]
    res = pd.DataFrame(out)
    res.attrs.update(df.attrs)
    return res


# -- batching: latency vs invocations ------------------------------------------------------
def batching_tradeoff(target, *, url: str, function_name: str, esm_uuid: str,
                      configs=((1, 0), (10, 0), (10, 1), (100, 2)), n_per_config: int = 40,
                      rate_per_s: float = 20.0, seed: int = 0, queue_url: str | None = None,
                      timeout_s: float = 30.0, show_progress: bool = True) -> pd.DataFrame:
    """For each (BatchSize, MaximumBatchingWindowInSeconds): update the mapping, send
    `n_per_config` requests at `rate_per_s` (same seeded schedule each time), and trace them.
    One row per request (TRACE_COLUMNS + config, batch_size_setting, window_s)."""
    lam = target.client("lambda")
    before = lam.get_event_source_mapping(UUID=esm_uuid)
    frames = []
    try:
        for k, (size, window) in enumerate(configs):
            lam.update_event_source_mapping(UUID=esm_uuid, BatchSize=size,
                                            MaximumBatchingWindowInSeconds=window)
            wait_for_mapping(lam, esm_uuid, "Enabled")
            start_ms = int(time.time() * 1000) - 1000
            sends = send_photos(url, n_per_config, rate_per_s=rate_per_s, seed=seed,
                                prefix=f"b{k}-", show_progress=show_progress)
            df = trace(target, sends, function_name, start_ms=start_ms,
                       timeout_s=timeout_s + window)
            df["config"] = f"BatchSize {size}, window {window} s"
            df["batch_size_setting"], df["window_s"] = size, window
            frames.append(df)
        deleted = tracer.deleted_times(target, queue_url)  # the lifecycle, read once for all configs
        for df in frames:
            df["deleted_ms"] = df["message_id"].map(deleted)
            df["delete_ms"] = df["deleted_ms"] - df["record_end_ms"]
            df["done_ms"] = df["deleted_ms"] - df["client_send_ms"]
    finally:  # leave the mapping as it was
        lam.update_event_source_mapping(
            UUID=esm_uuid, BatchSize=before["BatchSize"],
            MaximumBatchingWindowInSeconds=before.get("MaximumBatchingWindowInSeconds", 0))
        wait_for_mapping(lam, esm_uuid, "Enabled")
    columns = dict(TRACE_COLUMNS, config="the mapping's settings for this request",
                   batch_size_setting="BatchSize setting (count)",
                   window_s="MaximumBatchingWindowInSeconds setting (s)")
    meta = run_metadata("batching_tradeoff", target,
                        dict(configs=[list(c) for c in configs], n_per_config=n_per_config,
                             rate_per_s=rate_per_s, function=function_name),
                        seed=seed, columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out.attrs.clear()
    out.attrs.update(meta)
    return out


def batching_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per config: messages, invocations, invocations per message, mean batch, latency."""
    rows = []
    for config, g in df.groupby("config", sort=False):
        handled = g.dropna(subset=["invocation_id"])
        rows.append({"config": config, "batch_size_setting": g["batch_size_setting"].iloc[0],
                     "window_s": g["window_s"].iloc[0], "messages": len(handled),
                     "invocations": handled["invocation_id"].nunique(),
                     "invocations_per_message": handled["invocation_id"].nunique()
                     / max(1, len(handled)),
                     # per invocation, not per message (a message-weighted mean
                     # counts a batch of 20 twenty times)
                     "mean_batch": handled.groupby("invocation_id")["batch_size"].first().mean(),
                     "p50_end_to_end_ms": handled["end_to_end_ms"].median(),
                     "p90_end_to_end_ms": handled["end_to_end_ms"].quantile(0.9)})
    out = pd.DataFrame(rows)
    out.attrs.update(df.attrs)
    return out


# -- a burst: throughput and concurrency ---------------------------------------------------
def mapping_stats(target, uuid: str) -> dict:
    """OFFLINE ONLY: the mapping's `/_lab/esm/stats` (invocations, concurrency samples with
    the scaling MODEL's pollers and target; times in s since the mapping was created)."""
    require_offline(target, "per-mapping stats",
                    "read CloudWatch (ConcurrentExecutions, Invocations, Errors)")
    return target.lab.esm_stats(uuid)


def set_scaling_time_scale(target, time_scale: float) -> float:
    """OFFLINE ONLY: speed the scaling MODEL's clock; returns the previous time scale."""
    require_offline(target, "ESM scaling settings", "Lambda scales the pollers itself")
    before = target.lab.esm_config()["time_scale"]
    target.lab.esm_config(time_scale=time_scale)
    return before


BURST_COLUMNS = {
    "t_s": "time since the burst started (s)",
    "series": "what is measured (see `source`)",
    "value": "the series' value at t_s (count)",
    "source": "measured (client, SQS attributes, handler) or MODEL (scaling model target)",
}


def burst(target, *, url: str, function_name: str, esm_uuid: str, queue_url: str,
          n: int = 300, client_threads: int = 8, work_ms: float = 100.0,
          max_concurrency: int | None = 10, time_scale: float = 1.0, seed: int = 0,
          timeout_s: float = 90.0, show_progress: bool = True
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A burst of `n` uploads from `client_threads` threads, each photo taking `work_ms`.

    Returns (trace, series): the per-request trace (TRACE_COLUMNS) and a long table of time
    series (BURST_COLUMNS): queue depth, messages done, and offline the mapping's
    invocations in flight, pollers and the scaling MODEL's target (time scale `time_scale`:
    1 = AWS's documented rate in real time)."""
    lam = target.client("lambda")
    before = lam.get_event_source_mapping(UUID=esm_uuid)
    previous_scale = set_scaling_time_scale(target, time_scale) if target.is_offline else None
    try:
        lam.update_event_source_mapping(
            UUID=esm_uuid, ScalingConfig={"MaximumConcurrency": max_concurrency}
            if max_concurrency else {})
        wait_for_mapping(lam, esm_uuid, "Enabled")
        start_ms = int(time.time() * 1000) - 1000
        t0 = time.time()
        with DepthSampler(target, queue_url, every_s=0.2, t0=t0) as sampler:
            sends = send_photos(url, n, rate_per_s=None, concurrency=client_threads, seed=seed,
                                prefix="burst-", lab={"work_ms": work_ms},
                                show_progress=show_progress)
            df = trace(target, sends, function_name, start_ms=start_ms, queue_url=queue_url,
                       timeout_s=timeout_s)
            sampler.sample()
        stats = mapping_stats(target, esm_uuid) if target.is_offline else None
    finally:
        lam.update_event_source_mapping(UUID=esm_uuid,
                                        ScalingConfig=before.get("ScalingConfig") or {})
        wait_for_mapping(lam, esm_uuid, "Enabled")
        if previous_scale is not None:
            set_scaling_time_scale(target, previous_scale)
    rows = []
    for r in sampler.rows:
        rows.append({"t_s": r["t_s"], "series": "queue depth (visible + in flight)",
                     "value": r["visible"] + r["in_flight"], "source": "measured: SQS attributes"})
    accepted = np.sort(df["client_response_ms"].dropna().to_numpy() / 1e3 - t0)
    rows += [{"t_s": t, "series": "requests accepted (cumulative)", "value": k + 1,
              "source": "measured: client"} for k, t in enumerate(accepted)]
    done = np.sort(df["record_end_ms"].dropna().to_numpy() / 1e3 - t0)
    rows += [{"t_s": t, "series": "photos processed (cumulative)", "value": k + 1,
              "source": "measured: handler"} for k, t in enumerate(done)]
    if stats:
        offset = stats["created_at"] - t0
        for s in stats["concurrency"]:
            t = s["t"] + offset
            if t < -0.5:
                continue
            rows.append({"t_s": t, "series": "invocations in flight", "value": s["concurrency"],
                         "source": "measured: offline mapping"})
            rows.append({"t_s": t, "series": "scaling target", "value": s["target"],
                         "source": "MODEL: services-sqs-scaling rate"})
    meta = run_metadata("pipeline_burst", target,
                        dict(n=n, client_threads=client_threads, work_ms=work_ms,
                             max_concurrency=max_concurrency, time_scale=time_scale,
                             function=function_name), seed=seed, columns=BURST_COLUMNS)
    if stats:
        meta["peak_concurrency"] = stats["peak_concurrency"]
    meta["burst_s"] = float(accepted[-1]) if len(accepted) else None
    meta["drain_s"] = float(done[-1]) if len(done) else None
    series = tidy(rows, BURST_COLUMNS, meta)
    return df, series.sort_values(["series", "t_s"]).reset_index(drop=True)


# -- failure injection ---------------------------------------------------------------------
OUTCOME_COLUMNS = {
    "variant": "the variant (handler and settings) this message ran under",
    "photo_id": "the photo",
    "message_id": "SQS MessageId",
    "kind": "healthy, or the fault injected into this message (poison, crash, hang)",
    "attempts": "handler attempts that logged a record for this message (count)",
    "duplicates": "attempts that found the photo already stored (count)",
    "processed": "the photo is in the results table (processed or rejected)",
    "in_dlq": "the message ended in the dead-letter queue",
    "result": "processed | dead-lettered | processed, then dead-lettered | deleted unprocessed "
              "(the queue emptied without the photo stored or in the DLQ: the mapping deleted "
              "it, e.g. reported failures without ReportBatchItemFailures) | unaccounted "
              "(still queued when the variant timed out)",
}


def _drain_dlq(sqs, dlq_url: str, hold_s: int = 120) -> dict[str, dict]:
    """Every message in the DLQ (received with a long visibility timeout): id -> body."""
    return {m["MessageId"]: json.loads(m["Body"])
            for m in receive_all(sqs, dlq_url, hold_s=hold_s,
                                 MessageSystemAttributeNames=["All"])}


def _run_variant(target, name: str, variant: dict, *, n: int, seed: int, batch_size: int,
                 visibility_timeout: int, max_receive_count: int, function_timeout: int,
                 timeout_s: float, stack_name: str, t0: float, bar) -> dict:
    module = variant.get("module", "photo_processor")
    inject = variant.get("inject")
    faulty = faulty_indices(n, variant.get("fraction", 0.0), seed) if inject else set()
    size = variant.get("batch_size", batch_size)
    fn_timeout = variant.get("function_timeout", function_timeout)
    with experiment_stack(target, stack_name) as stack:
        sqs = stack.client("sqs")
        table = create_photo_table(target, stack.resource_name("photos"))
        try:
            dlq = stack.queue("dlq", visibility_timeout=60)
            queue = stack.queue("work", visibility_timeout=visibility_timeout,
                                dead_letter=dlq, max_receive_count=max_receive_count)
            role = stack.role("fn-role", "lambda.amazonaws.com")
            env = {"PHOTOS_TABLE": table, **variant.get("env", {})}
            fn = stack.function("photos", module, role_arn=role, timeout=fn_timeout,
                                environment=env)
            start_ms = int(time.time() * 1000) - 1000
            kinds = {}
            for first in range(0, n, 10):
                entries = []
                for i in range(first, min(first + 10, n)):
                    lab = {"i": i}
                    if i in faulty:
                        lab[inject] = True
                    photo_id = f"p{i:04d}"
                    kinds[photo_id] = inject if i in faulty else "healthy"
                    entries.append({"Id": str(i), "MessageBody": json.dumps(
                        {"photo_id": photo_id, "size_bytes": 100_000, "lab": lab})})
                send_batch(sqs, queue.url, entries)
            # environments initialised first: INIT must not eat the compressed visibility timeout
            warm_up(target.client("lambda"), fn.name, variant.get("max_concurrency", 2))
            uuid = stack.event_source_mapping(
                fn, queue, batch_size=size, report_batch_item_failures=variant.get("report", False),
                maximum_concurrency=variant.get("max_concurrency", 2),
                batching_window=variant.get("window", 0 if size <= 10 else 1))
            with DepthSampler(target, queue.url, dlq.url, every_s=0.25, t0=t0) as sampler:
                def settled() -> bool | None:
                    last = sampler.rows[-1] if sampler.rows else None
                    if last and last["visible"] + last["in_flight"] == 0 and last["t_s"] > 0.5:
                        # settled by the attributes; confirm with a fresh read
                        return sum(sampler.sample()[k] for k in ("visible", "in_flight")) == 0 \
                            or None
                    return None

                try:
                    emptied = bool(poll_until(settled, timeout=timeout_s, poll_every=0.3))
                except TimeoutError:
                    emptied = False  # not settled in time: the accounting shows what is queued
                settled_s = time.time() - t0
            lam_stats = mapping_stats(target, uuid) if target.is_offline else None
            dead = _drain_dlq(sqs, dlq.url)
            recs = logs.recorder_records(logs.log_events(
                target, fn.name, "LAB_RECORD", start_ms=start_ms, timeout_s=0))
            stored = photo_results(target, table)
        finally:
            delete_photo_table(target, table)
    bar.update(1)
    return {"name": name, "kinds": kinds, "dead": dead, "recs": recs, "stored": stored,
            "depth": sampler.rows, "stats": lam_stats, "settled_s": settled_s, "emptied": emptied,
            "function": fn.name, "batch_size": size, "t0": t0}


def failure_run(target, variants: dict[str, dict], *, n_messages: int = 60, seed: int = 0,
                batch_size: int = 10, visibility_timeout: int = 2, max_receive_count: int = 3,
                function_timeout: int = 1, timeout_s: float = 60.0, parallel: bool = True,
                show_progress: bool = True, stack_name: str = "failures") -> dict:
    """Run each variant in its own stack (queue + DLQ with RedrivePolicy, results table,
    function, mapping) on `n_messages` upload notices until the queue is empty (every
    message processed or in the DLQ) or `timeout_s` passes. Variants run side by side.

    A variant is a dict: `module` (photo_processor | photo_processor_powertools), `env`
    (e.g. BATCH_FAILURES, DOWNSTREAM_DELAY_MS, DEADLINE_MARGIN_MS), `report`
    (ReportBatchItemFailures), `inject` (poison | crash | hang) with `fraction`, and
    optional `batch_size`, `function_timeout`, `max_concurrency` (default 2).

    Returns a dict of tidy frames: `outcomes` (one row per message, OUTCOME_COLUMNS),
    `attempts` (one row per handler record), `depth` (DEPTH_COLUMNS + variant), and offline
    `invocations` (the mappings' invocation outcomes) plus `summary` (one row per variant).
    """
    params = dict(variants=variants, n_messages=n_messages, batch_size=batch_size,
                  visibility_timeout=visibility_timeout, max_receive_count=max_receive_count,
                  function_timeout=function_timeout, timeout_s=timeout_s)
    meta = run_metadata("failure_run", target, params, seed=seed, columns=OUTCOME_COLUMNS)
    bar = progress_bar(len(variants), "variants settled", show_progress)
    t0 = time.time()
    kwargs = dict(n=n_messages, seed=seed, batch_size=batch_size,
                  visibility_timeout=visibility_timeout, max_receive_count=max_receive_count,
                  function_timeout=function_timeout, timeout_s=timeout_s, t0=t0, bar=bar)
    try:
        if parallel and len(variants) > 1:
            with ThreadPoolExecutor(max_workers=len(variants)) as pool:
                futures = [pool.submit(_run_variant, target, name, v,
                                       stack_name=f"{stack_name}{k}", **kwargs)
                           for k, (name, v) in enumerate(variants.items())]
                results = [f.result() for f in futures]
        else:
            results = [_run_variant(target, name, v, stack_name=f"{stack_name}{k}", **kwargs)
                       for k, (name, v) in enumerate(variants.items())]
    finally:
        bar.close()
    return _failure_frames(results, meta)


def _failure_frames(results: list[dict], meta: dict) -> dict:
    outcomes, attempts, depth, invocations, summary = [], [], [], [], []
    for res in results:
        name, recs, stored = res["name"], res["recs"], res["stored"]
        dead_photos = {b.get("photo_id") for b in res["dead"].values()}
        stored_ids = set(stored["photo_id"])
        by_photo = recs.groupby("photo_id") if len(recs) else None
        for photo_id, kind in res["kinds"].items():
            grp = by_photo.get_group(photo_id) if by_photo is not None and \
                photo_id in by_photo.groups else pd.DataFrame(columns=["outcome"])
            processed, in_dlq = photo_id in stored_ids, photo_id in dead_photos
            result = ("processed, then dead-lettered" if processed and in_dlq else
                      "processed" if processed else "dead-lettered" if in_dlq else
                      "deleted unprocessed" if res["emptied"] else "unaccounted")
            outcomes.append({"variant": name, "photo_id": photo_id,
                             "message_id": grp["message_id"].iloc[0] if len(grp) else None,
                             "kind": kind, "attempts": len(grp),
                             "duplicates": int((grp["outcome"] == "duplicate").sum()),
                             "processed": processed, "in_dlq": in_dlq, "result": result})
        if len(recs):
            for rec in recs.to_dict("records"):
                attempts.append({"variant": name, "photo_id": rec.get("photo_id"),
                                 "message_id": rec.get("message_id"),
                                 "invocation_id": rec.get("request_id"),
                                 "receive_count": rec.get("receive_count"),
                                 "outcome": rec.get("outcome"),
                                 "t_s": rec.get("record_start_ms", np.nan) / 1e3 - res["t0"]})
        for r in res["depth"]:
            depth.append({"variant": name, **r})
        inv = res["stats"]["invocations"] if res["stats"] else []
        for r in inv:
            invocations.append({"variant": name, "batch_size": r["batch_size"],
                                "outcome": r["outcome"], "error_type": r.get("error_type"),
                                "duration_s": r["t_end"] - r["t_start"]})
        mine = [o for o in outcomes if o["variant"] == name]
        summary.append({
            "variant": name, "messages": len(mine),
            "invocations": len(inv) if res["stats"] else recs["request_id"].nunique()
            if len(recs) else 0,
            "failed_invocations": sum(1 for r in inv if r["outcome"] not in
                                      ("success", "partial")) if res["stats"] else None,
            "handler_attempts": sum(o["attempts"] for o in mine),
            "duplicates": sum(o["duplicates"] for o in mine),
            "processed": sum(o["processed"] for o in mine),
            "dead_lettered": sum(o["in_dlq"] for o in mine),
            "healthy_dead_lettered": sum(o["in_dlq"] for o in mine if o["kind"] == "healthy"),
            "deleted_unprocessed": sum(o["result"] == "deleted unprocessed" for o in mine),
            "unaccounted": sum(o["result"] == "unaccounted" for o in mine),
            "settled_s": res["settled_s"]})
    meta = dict(meta)
    meta["accounting"] = {s["variant"]: {k: s[k] for k in ("messages", "processed",
                                                           "dead_lettered", "deleted_unprocessed",
                                                           "unaccounted")}
                          for s in summary}
    out = {"outcomes": tidy(outcomes, OUTCOME_COLUMNS, meta),
           "attempts": pd.DataFrame(attempts), "depth": pd.DataFrame(depth),
           "invocations": pd.DataFrame(invocations), "summary": pd.DataFrame(summary)}
    for key in ("attempts", "depth", "invocations", "summary"):
        out[key].attrs.update({k: v for k, v in meta.items() if k != "columns"})
    return out


def accounting(target, *, table: str, dlq_url: str, photo_ids) -> dict:
    """Where every photo is: processed (in the results table), in the DLQ, or unaccounted.

    Reads the DLQ without consuming it (receive with VisibilityTimeout 0 is not reliable
    for a census, so messages are received and immediately made visible again)."""
    sqs = target.client("sqs")
    stored = set(photo_results(target, table)["photo_id"])
    msgs = receive_all(sqs, dlq_url, hold_s=30)
    dead = {json.loads(m["Body"]).get("photo_id"): m["MessageId"] for m in msgs}
    handles = [m["ReceiptHandle"] for m in msgs]
    for k in range(0, len(handles), 10):  # put them back: the census must not hide them
        sqs.change_message_visibility_batch(QueueUrl=dlq_url, Entries=[
            {"Id": str(j), "ReceiptHandle": h, "VisibilityTimeout": 0}
            for j, h in enumerate(handles[k:k + 10])])
    ids = list(photo_ids)
    processed = [p for p in ids if p in stored]
    in_dlq = [p for p in ids if p in dead and p not in stored]
    lost = [p for p in ids if p not in stored and p not in dead]
    return {"sent": len(ids), "processed": len(processed), "in_dlq": len(in_dlq),
            "unaccounted": len(lost), "unaccounted_ids": lost}
