"""Part 2's own measurements (lab.lessons.functions): each measures what it says,
carries complete run metadata, and leaves no process behind.

Timing assertions compare two methods measured in the same run (the machine is shared and
loaded), never against an absolute number.
"""

from __future__ import annotations

import base64
import json

from lab.lessons import functions as fl
from lab.results.data import check_run
from tests.fixtures.common import pid_alive


def test_fork_of_initialised_parent_is_ready_faster_than_a_fresh_process():
    # The SOCK zygote / SnapStart idea: a copy of a process that already imported boto3
    # skips interpreter start and imports, so its handler is ready sooner.
    df = fl.fork_vs_fresh(imports=["boto3"], repeats=5, seed=1, show_progress=False)
    meta = check_run(df)
    assert meta["experiment"] == "fork_vs_fresh" and meta["seed"] == 1
    assert list(df.columns) == list(fl.FORK_COLUMNS)
    counts = df["method"].value_counts()
    assert counts["fresh process"] == 5 and counts["fork of initialised parent"] == 5
    assert counts["parent initialisation (once)"] == 1
    summary = fl.summarize_fork_vs_fresh(df).set_index("method")
    fresh = summary.loc["fresh process", "median_ms"]
    fork = summary.loc["fork of initialised parent", "median_ms"]
    assert fork * 3 < fresh, summary  # several-fold, as SOCK reports for zygotes
    assert (df["ready_ms"] > 0).all()


def test_fork_vs_fresh_order_is_seeded():
    a = fl.fork_vs_fresh(imports=[], repeats=3, seed=7, show_progress=False)
    b = fl.fork_vs_fresh(imports=[], repeats=3, seed=7, show_progress=False)
    assert list(a["method"]) == list(b["method"])


def test_zygote_exits_when_its_parent_closes_stdin():
    zygote = fl.Zygote([])
    pid = zygote.proc.pid
    assert zygote.fork_ready_ms() > 0
    zygote.close()
    assert not zygote.alive
    assert not pid_alive(pid)


def test_worker_and_function_run_the_same_jobs_and_the_function_reuses_its_environment(
        clean_cloud):
    # Lambda reuses a warm execution environment for sequential invocations: only the first
    # job is a cold start. The worker is one process for every job.
    df = fl.worker_vs_function(clean_cloud, jobs=4, interval_s=0, idle_s=0.3,
                               show_progress=False)
    check_run(df)
    assert list(df.columns) == list(fl.WORKER_COLUMNS)
    for approach in ("always-running worker", "function"):
        part = df[df["approach"] == approach].sort_values("job")
        assert list(part["job"]) == [0, 1, 2, 3]
        assert list(part["new_environment"]) == [True, False, False, False]
        assert part["environment_id"].nunique() == 1
    idle = df.attrs["idle"]
    assert idle["worker_rss_kb"] > 0  # the worker holds memory while it waits
    assert idle["function_billed_ms_while_idle"] == 0.0
    billed = df.attrs["billed"]  # from the REPORT lines: one cold start, then warm ones
    assert billed["invocations"] == 4 and billed["cold_starts"] == 1
    assert billed["billed_ms_median_cold"] > billed["billed_ms_median_warm"] >= 1
    # clean-up: nothing the experiment created is left (log group included)
    assert not clean_cloud.client("logs").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/worker-vs-fn")["logGroups"]
    assert clean_cloud.client("lambda").list_functions()["Functions"] == []
    assert not [r for r in clean_cloud.client("iam").list_roles()["Roles"]
                if r["RoleName"].startswith("worker-vs-fn")]


def test_worker_process_ends_when_closed():
    worker = fl.Worker("checksum")
    out = worker.run({"job": 1, "size_bytes": 1024, "rounds": 2})
    assert len(out["sha256"]) == 64
    worker.close()
    assert not worker.alive


def test_keep_alive_decides_cold_starts_and_the_setting_is_restored(clean_cloud):
    # An idle environment is kept for keep_alive_s (the offline sweeper looks twice a
    # second): a gap well inside it finds the warm environment, a gap past keep-alive plus
    # one sweep period always needs a new one (INIT again).
    before = fl.lambda_config(clean_cloud)["keep_alive_s"]
    df = fl.keep_alive_sweep(clean_cloud, keep_alive_s=0.5, gaps_s=(0.05, 1.3), repeats=2,
                             show_progress=False)
    check_run(df)
    assert not df.loc[df["gap_s"] == 0.05, "cold"].any()
    assert df.loc[df["gap_s"] == 1.3, "cold"].all()
    assert fl.lambda_config(clean_cloud)["keep_alive_s"] == before
    assert clean_cloud.client("lambda").list_functions()["Functions"] == []
    assert not clean_cloud.client("logs").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/keep-alive")["logGroups"]


def test_poisson_model_cold_fraction():
    import math

    assert math.isclose(float(fl.cold_fraction_poisson(1.0, 1.0)), math.exp(-1))
    assert float(fl.cold_fraction_poisson(10.0, 0.0)) == 1.0


# -- handlers Part 2 deploys ---------------------------------------------------------------

class _Context:
    aws_request_id = "req-1"


def _event(route_key: str, **extra) -> dict:
    return {"version": "2.0", "routeKey": route_key, **extra}


def test_web_handler_answers_in_the_payload_2_0_response_shapes():
    # HTTP API payload 2.0: a dict without statusCode is inferred as a 200 JSON body; the
    # full shape {statusCode, headers, body} controls the answer (a handler's own 404).
    from lab.functions import web

    hello = web.handler(_event("GET /hello"), _Context())
    assert "statusCode" not in hello and hello["request_id"] == "req-1"
    item = web.handler(_event("GET /items/{id}", pathParameters={"id": "42"}), _Context())
    assert item["statusCode"] == 200 and json.loads(item["body"])["id"] == 42
    missing = web.handler(_event("GET /items/{id}", pathParameters={"id": "abc"}), _Context())
    assert missing["statusCode"] == 404
    echoed = web.handler(_event("POST /echo", body=base64.b64encode(b"hi").decode(),
                                isBase64Encoded=True), _Context())
    assert json.loads(echoed["body"])["you_sent"] == "hi"
    bad = web.handler(_event("GET /bad-response"), _Context())
    assert not isinstance(bad["statusCode"], int)  # malformed on purpose: API Gateway -> 500


def test_checksum_handler_is_deterministic_per_job():
    from lab.functions import checksum

    a = checksum.handler({"job": 3, "size_bytes": 4096, "rounds": 2}, _Context())
    b = checksum.handler({"job": 3, "size_bytes": 4096, "rounds": 2}, _Context())
    c = checksum.handler({"job": 4, "size_bytes": 4096, "rounds": 2}, _Context())
    assert a["sha256"] == b["sha256"] != c["sha256"]
    assert a["environment_id"] == b["environment_id"]  # one process = one environment
