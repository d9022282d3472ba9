"""Experiments run offline end to end on small sizes, return tidy frames with run metadata,
measure what they name (in AWS terms), and leave nothing behind, even when interrupted.

Ordered: SQS-only experiments first, then those that need Offline Lambda, then the event
source mapping and the HTTP API data plane (the whole pipeline).
"""

from __future__ import annotations

import json
import time

import pytest

from lab.experiments import cold_starts, latency, polling, redelivery, scaling
from lab.experiments import metadata as meta_mod
from lab.results import data

pytestmark = pytest.mark.timeout(120)


def leftovers(cloud) -> dict:
    return {"queues": cloud.client("sqs").list_queues().get("QueueUrls", []),
            "functions": [f["FunctionName"] for f in
                          cloud.client("lambda").list_functions()["Functions"]],
            "apis": [a["ApiId"] for a in cloud.client("apigatewayv2").get_apis()["Items"]],
            "mappings": cloud.client("lambda").list_event_source_mappings()[
                "EventSourceMappings"]}


def assert_nothing_left(cloud, settle_s: float = 5.0):
    """Teardown deleted everything; a mapping may spend a moment in State "Deleting" (as on
    AWS), so wait for that to finish."""
    deadline = time.monotonic() + settle_s
    left = leftovers(cloud)
    while left["mappings"] and all(m["State"] == "Deleting" for m in left["mappings"]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
        left = leftovers(cloud)
    assert left == {"queues": [], "functions": [], "apis": [], "mappings": []}


def assert_tidy_run(df, experiment):
    meta = data.check_run(df)  # target, versions, machine, parameters, seed, column units
    assert meta["experiment"] == experiment and meta["target"] == "offline"
    assert list(df.columns) == list(meta["columns"])
    return meta


# -- SQS only -----------------------------------------------------------------------------
def test_short_polling_costs_more_calls_per_message_than_long_polling(clean_cloud):
    df = polling.polling(clean_cloud, n_messages=6, rate_per_s=3.0, wait_times=(0, 5),
                         short_poll_pause_s=0.01, seed=3, show_progress=False)
    assert_tidy_run(df, "polling")
    summary = polling.summarize(df).set_index("mode")
    assert summary["messages"].tolist() == [6, 6]  # every message delivered in both modes
    # A long poll returns as soon as a message arrives, so it never comes back empty while
    # the producer is still sending: one receive and one delete per message.
    assert summary.loc["long (5 s)", "empty_receives"] == 0
    assert summary.loc["long (5 s)", "calls_per_message"] == 2
    # Short polls come back empty between arrivals (~0.3 s apart here). How many fit in a gap
    # depends on the machine's speed (a loaded CI machine fits few), not on SQS: the claim is
    # that there are some, and that each one is a call paid for with no message.
    assert summary.loc["short", "empty_receives"] > 0
    assert summary.loc["short", "calls_per_message"] == \
        pytest.approx(2 + summary.loc["short", "empty_receives"] / 6)
    assert_nothing_left(clean_cloud)


def test_redelivery_after_visibility_timeout_and_dlq_after_max_receive_count(clean_cloud):
    vt, max_rc = 1, 2
    ev = redelivery.redelivery(clean_cloud, n_messages=5, visibility_timeout=vt,
                               max_receive_count=max_rc, poison_fraction=0.2, failure_rate=0.3,
                               seed=0, show_progress=False)
    meta = assert_tidy_run(ev, "redelivery")
    acc = meta["accounting"]
    assert acc["unaccounted"] == 0 and acc["dead_lettered"] == 1  # the one poison message
    assert acc["processed"] + acc["dead_lettered"] == 5
    tries = redelivery.attempts(ev)
    crashed = tries[tries["ended_by"] == "visibility_expired"]
    assert len(crashed) >= max_rc  # the poison message crashed max_receive_count times
    # A crashed attempt's message is received again once its visibility timeout expired:
    # never before, and (on a quiet queue) within a second after. The consumer only knows
    # that SQS received the message between its call and the call's return (`requested_s`,
    # `received_s`): the hiding receive happened no earlier than that attempt's call, the
    # next receive no later than its return, so their distance is at least the timeout
    # (10 ms allowed for millisecond clocks). Return-to-return distances can be shorter
    # when the first return was slow (a loaded machine: 0.94 s for a 1 s timeout in CI).
    for _, t in crashed.iterrows():
        nxt = tries[(tries["message"] == t["message"]) & (tries["attempt"] == t["attempt"] + 1)]
        if len(nxt):
            assert nxt["received_s"].item() - t["requested_s"] >= vt - 0.01
            assert nxt["received_s"].item() - t["received_s"] <= vt + 1.0
    dead = ev[ev["event"] == "dlq"]["message"].item()
    assert ev[(ev["message"] == dead) & (ev["event"] == "receive")]["attempt"].max() == max_rc
    assert_nothing_left(clean_cloud)


def test_queue_latency_send_to_receive(clean_cloud):
    df = latency.queue_latency(clean_cloud, n_messages=8, rate_per_s=20.0, wait_time_seconds=5,
                               seed=1, show_progress=False)
    assert_tidy_run(df, "queue_latency")
    assert df.attrs["accounting"] == {"sent": 8, "received": 8}
    assert (df["end_to_end_ms"] > 0).all() and (df["end_to_end_ms"] < 5000).all()
    # SQS stamps the message between the client's send and the consumer's receive
    # (same clock offline; SentTimestamp has 1 ms resolution).
    assert (df["sqs_sent_ms"] >= df["client_send_ms"] - 1).all()
    assert (df["sqs_sent_ms"] <= df["received_ms"] + 1).all()
    assert_nothing_left(clean_cloud)


def test_interrupted_experiment_leaves_nothing_behind(clean_cloud, monkeypatch):
    class Interrupting:
        def update(self, n=1):
            raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(redelivery, "progress_bar", lambda *a, **k: Interrupting())
    with pytest.raises(KeyboardInterrupt):
        redelivery.redelivery(clean_cloud, n_messages=3, visibility_timeout=1,
                              poison_fraction=0.0, failure_rate=0.0, show_progress=False)
    assert_nothing_left(clean_cloud)


def test_import_costs_on_this_machine():
    df = cold_starts.import_costs(("json",), repeats=2, show_progress=False)
    assert_tidy_run(df, "import_costs")
    assert df["package"].tolist() == ["(pass)", "json", "(pass)", "json"]
    js = df[df["package"] == "json"]
    assert (js["import_ms"] > 0).all() and (js["modules"] >= 1).all()
    assert (js["process_ms"] > js["import_ms"]).all()  # the interpreter's start is extra


def test_a_real_run_saves_and_loads_with_its_metadata(clean_cloud, tmp_path):
    df = latency.queue_latency(clean_cloud, n_messages=3, rate_per_s=50.0, seed=2,
                               show_progress=False)
    back = data.load_run(data.save_run(df, "queue-latency", folder=tmp_path))
    assert back.attrs["parameters"]["n_messages"] == 3 and back.attrs["seed"] == 2
    assert back["end_to_end_ms"].tolist() == pytest.approx(df["end_to_end_ms"].tolist())


# -- Offline Lambda -----------------------------------------------------------------------
def test_forced_cold_starts_show_init_duration_only_on_the_first_invoke(clean_cloud):
    df = cold_starts.cold_vs_warm(clean_cloud, rounds=2, warm_per_round=2, imports=(),
                                  show_progress=False)
    assert_tidy_run(df, "cold_vs_warm")
    assert df["start"].tolist() == ["cold", "warm", "warm"] * 2
    assert df.loc[df["start"] == "cold", "init_ms"].gt(0).all()
    assert df.loc[df["start"] == "warm", "init_ms"].isna().all()
    # Changing an environment variable retires the environment: round 2 runs in a new one.
    envs = df.groupby("round")["environment"].unique()
    assert all(len(e) == 1 for e in envs) and envs[0][0] != envs[1][0]
    assert_nothing_left(clean_cloud)


def test_init_breakdown_phases_add_up_to_init_duration(clean_cloud):
    df = cold_starts.init_breakdown(clean_cloud, imports_sets=((), ("email.mime.text",)),
                                    cold_per_set=1, init_work_ms=20.0, show_progress=False)
    assert_tidy_run(df, "init_breakdown")
    assert df["imports"].tolist() == ["(none)", "email.mime.text"]
    assert (df["init_code_ms"] >= 19.0).all()  # the handler's 20 ms of init work
    phases = df[["process_start_ms", "runtime_import_ms", "handler_imports_ms",
                 "init_code_ms", "other_ms"]].sum(axis=1)
    assert (df["process_start_ms"] > 0).all() and (df["runtime_import_ms"] > 0).all()
    assert phases.tolist() == pytest.approx(df["init_ms"].tolist(), abs=1.0)
    assert_nothing_left(clean_cloud)


def test_a_concurrent_burst_needs_one_environment_per_concurrent_invoke(clean_cloud):
    df = cold_starts.concurrency_burst(clean_cloud, burst_size=3, bursts=2, hold_ms=300,
                                       pause_s=0.2, show_progress=False)
    assert_tidy_run(df, "concurrency_burst")
    first, second = df[df["burst"] == 0], df[df["burst"] == 1]
    assert (first["start"] == "cold").all() and first["environment"].nunique() == 3
    assert (second["start"] == "warm").all()  # the environments are reused while warm
    assert set(second["environment"]) == set(first["environment"])
    assert_nothing_left(clean_cloud)


# -- event source mapping + HTTP API ------------------------------------------------------
def test_lambda_redelivery_timeline_from_the_lifecycle_record(clean_cloud):
    ev = redelivery.redelivery_lambda(clean_cloud, n_messages=3, visibility_timeout=2,
                                      max_receive_count=2, poison_fraction=0.34,
                                      failure_rate=0.0, seed=0, show_progress=False)
    meta = assert_tidy_run(ev, "redelivery_lambda")
    assert meta["accounting"] == {"sent": 3, "processed": 2, "dead_lettered": 1,
                                  "unaccounted": 0}
    assert set(ev["observed_by"]) == {"lifecycle"}
    dead = ev[ev["event"] == "dlq"]["message"].item()
    lane = ev[ev["message"] == dead]
    assert lane["event"].tolist() == ["sent", "receive", "visibility_expired", "receive",
                                      "visibility_expired", "dlq"]
    rec = lane[lane["event"] == "receive"]["t_s"].tolist()
    assert rec[1] - rec[0] == pytest.approx(2.0, abs=0.5)  # the visibility timeout
    assert_nothing_left(clean_cloud)


def test_pipeline_latency_has_every_hop(clean_cloud):
    df = latency.pipeline_latency(clean_cloud, n_requests=5, rate_per_s=10.0, batch_size=1,
                                  seed=4, timeout_s=30, show_progress=False)
    assert_tidy_run(df, "pipeline_latency")
    assert df.attrs["accounting"] == {"requests": 5, "accepted": 5, "handled": 5}
    assert (df["status"] == 200).all()
    for hop in ("http_ms", "integration_ms", "queue_wait_ms", "dispatch_ms", "end_to_end_ms",
                "duration_ms"):
        assert df[hop].notna().all(), hop
    # Hops happen in order on one clock (SQS's timestamps have 1 ms resolution).
    assert (df["sqs_sent_ms"] >= df["client_send_ms"] - 1).all()
    assert (df["first_receive_ms"] >= df["sqs_sent_ms"]).all()
    assert (df["handler_start_ms"] >= df["first_receive_ms"] - 1).all()
    assert (df["deleted_ms"] >= df["handler_start_ms"]).all()
    assert df["start"].iloc[0] == "cold" and df["init_ms"].iloc[0] > 0
    assert (df["integration_ms"] <= df["http_ms"] + 1).all()
    assert (df["batch_size"] == 1).all()
    assert_nothing_left(clean_cloud)


def test_maximum_concurrency_caps_a_backlog(clean_cloud):
    df = scaling.esm_backlog(clean_cloud, n_messages=8, hold_ms=300, batch_size=1,
                             max_concurrency=2, show_progress=False)
    assert_tidy_run(df, "esm_backlog")
    assert df.attrs["accounting"] == {"sent": 8, "handled": 8}
    assert (df["batch_size"] == 1).all() and len(df) == 8
    # ScalingConfig.MaximumConcurrency 2: never more than two at once, and two are reached.
    assert scaling.peak_concurrency(df) == 2
    assert df["environment"].nunique() == 2  # two environments, each reused while warm
    samples = scaling.esm_samples(clean_cloud, df.attrs["esm_uuid"])
    assert samples["concurrency"].max() <= 2
    assert_nothing_left(clean_cloud)


def test_experiment_modules_share_one_metadata_schema():
    assert set(meta_mod.REQUIRED_KEYS) >= {"target", "region", "timestamp_utc", "versions",
                                           "machine", "parameters", "seed"}


def test_recorder_handler_writes_its_records_to_s3_through_the_endpoint(clean_cloud):
    from lab.stack import Stack

    s3 = clean_cloud.client("s3")
    s3.create_bucket(Bucket="lab-results")
    try:
        with Stack(clean_cloud, "rec") as stack:
            role = stack.role("fn-role", "lambda.amazonaws.com")
            fn = stack.function("recorder", "recorder", role_arn=role, timeout=10,
                                environment={"LAB_RESULTS_BUCKET": "lab-results"})
            resp = stack.client("lambda").invoke(
                FunctionName=fn.name, Payload=b'{"lab": {"i": 7}}')
            assert "FunctionError" not in resp
            body = json.loads(json.loads(resp["Payload"].read())["body"])
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lab-results")["Contents"]]
        assert keys == [f"records/{body['request_id']}/invoke.json"]
        stored = json.loads(s3.get_object(Bucket="lab-results", Key=keys[0])["Body"].read())
        assert stored["lab"] == {"i": 7} and stored["handler_end_ms"] >= stored[
            "handler_start_ms"]
    finally:
        for obj in s3.list_objects_v2(Bucket="lab-results").get("Contents", []):
            s3.delete_object(Bucket="lab-results", Key=obj["Key"])
        s3.delete_bucket(Bucket="lab-results")
    assert_nothing_left(clean_cloud)
