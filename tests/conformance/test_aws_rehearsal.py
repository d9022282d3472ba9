"""Dress rehearsal: the aws target's own code (identity, plan and cost, opt-in, names and
tags, waits, log polling, teardown, cleanup, saved runs) against a fresh `lab serve`.

Every experiment `lab aws plan` lists runs here with small parameters and must leave
nothing behind; a `lab aws run` stopped with SIGINT (or killed) is cleaned up by
`lab aws cleanup`; a rehearsal never uses real credentials and its runs say "rehearsal".
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.aws import cleanup
from lab.aws.plan import PLANS
from lab.cli import aws as aws_cli
from lab.experiments import registry
from lab.offline.process import ServeProcess
from lab.results import data
from lab.stack import PROJECT_TAG, PROJECT_TAG_KEY, ROLE_PATH, RUN_TAG
from lab.stack.waits import poll_until
from lab.targets.aws import AwsTarget, connect_aws

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]

# Small sizes: each experiment takes seconds against lab serve.
SMALL = {
    "latency": dict(n_requests=4, rate_per_s=20.0, timeout_s=30),
    "cold_start": dict(rounds=2, warm_per_round=1, imports=(), timeout_s=30),
    "redelivery": dict(n_messages=3, visibility_timeout=1, max_receive_count=2, timeout_s=30),
    "polling": dict(n_messages=4, rate_per_s=20.0, wait_times=(0, 1), timeout_s=30),
}

# Credentials that must never be used (a rehearsal carries its own fake ones).
REAL_LOOKING_ENV = {"AWS_ACCESS_KEY_ID": "AKIAREALKEYNEVERUSED0", "AWS_SECRET_ACCESS_KEY":
                    "real-secret-never-used", "AWS_SESSION_TOKEN": "real-token",
                    "AWS_PROFILE": "production-never-used", "AWS_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint():
    """A fresh `lab serve` for this module (nothing else on it, so "nothing left" means it)."""
    process = ServeProcess()
    yield process.url
    process.stop()


@pytest.fixture
def rehearsal(endpoint, monkeypatch) -> AwsTarget:
    """The aws target in rehearsal, with real-looking credentials in the environment."""
    for key, value in REAL_LOOKING_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("LAB_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("LAB_PROGRESS", "0")
    monkeypatch.setattr("lab.stack.builder.atexit.register", lambda fn: None)
    return connect_aws(target=AwsTarget(endpoint_url=endpoint), confirm=True, out=io.StringIO())


def everything(target) -> dict:
    """Every resource of the kinds the lab creates, tagged or not."""
    found = {
        "queues": target.client("sqs").list_queues().get("QueueUrls", []),
        "functions": [f["FunctionName"] for f in
                      target.client("lambda").list_functions()["Functions"]],
        "mappings": [m["UUID"] for m in target.client("lambda").list_event_source_mappings()[
            "EventSourceMappings"]],
        "roles": [r["RoleName"] for r in target.client("iam").list_roles()["Roles"]],
        "log_groups": [g["logGroupName"] for g in
                       target.client("logs").describe_log_groups()["logGroups"]],
        "apis": [a["ApiId"] for a in target.client("apigatewayv2").get_apis()["Items"]],
    }
    return {k: v for k, v in found.items() if v}


def run_cli(argv, stdin=None) -> tuple[int, str]:
    out = io.StringIO()
    code = aws_cli.main(aws_cli.parse(argv), out=out, stdin=stdin or io.StringIO())
    return code, out.getvalue()


def test_every_listed_experiment_has_small_rehearsal_parameters():
    assert set(SMALL) == set(PLANS) <= set(registry.available())


def test_the_rehearsal_never_uses_the_environments_credentials(rehearsal, endpoint):
    creds = rehearsal.session.get_credentials()
    assert (creds.access_key, creds.secret_key, creds.token) == ("rehearsal", "rehearsal", None)
    assert rehearsal.client("sts").meta.endpoint_url == endpoint
    assert rehearsal.account_id == "123456789012"  # the endpoint's STS, not a real account
    assert rehearsal.rehearsal and repr(rehearsal).startswith("<lab aws target REHEARSAL")


@pytest.mark.parametrize("name", sorted(SMALL))
def test_each_listed_experiment_runs_in_rehearsal_and_leaves_nothing_behind(
        rehearsal, endpoint, name, tmp_path):
    assert everything(rehearsal) == {}
    experiment_name, experiment = registry.resolve(name)
    df = experiment(rehearsal, show_progress=False, **SMALL[name])
    assert len(df)
    # The run says it was a rehearsal, and against which endpoint.
    assert df.attrs["target"] == "rehearsal"
    assert df.attrs["rehearsal_of"] == "aws" and df.attrs["endpoint_url"] == endpoint
    assert data.source_kind(df) == "rehearsal"
    assert data.source_label(df).startswith("rehearsal") and "AWS" not in data.source_label(
        df).replace("not AWS", "")
    # What each experiment measures came through the aws target's code.
    if experiment_name == "latency":
        assert df.attrs["accounting"] == {"requests": 4, "accepted": 4, "handled": 4}
        # integration latency read back from the stage's CloudWatch Logs access log (AWS path)
        assert df["integration_ms"].notna().all()
        assert df["duration_ms"].notna().all() and df["deleted_ms"].isna().all()
    elif experiment_name == "cold_start":
        assert list(df["start"]) == ["cold", "warm", "cold", "warm"]
        assert df.loc[df["start"] == "cold", "init_ms"].notna().all()
    elif experiment_name == "redelivery":
        assert df.attrs["accounting"]["unaccounted"] == 0
    elif experiment_name == "polling":
        assert set(df["mode"]) == {"short", "long (1 s)"}
        assert df.loc[df["action"] == "DeleteMessageBatch", "messages"].sum() == 8
    # Torn down: nothing tagged, nothing at all.
    assert cleanup.find_leftovers(rehearsal) == []
    assert everything(rehearsal) == {}
    # A saved rehearsal run carries the marker and never passes for AWS data.
    path = data.save_run(df, f"rehearsal-{name}", tmp_path)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert (sidecar["target"], sidecar["endpoint_url"]) == ("rehearsal", endpoint)
    assert data.load_runs(tmp_path, target="aws").empty
    assert len(data.load_runs(tmp_path, target="rehearsal")) == len(df)
    forged = df.copy()
    forged.attrs["target"] = "aws"
    with pytest.raises(data.RunSchemaError, match="not AWS data"):
        data.save_run(forged, "forged", tmp_path)


def test_stacks_on_the_rehearsal_are_named_and_tagged_as_on_aws(rehearsal):
    from lab.stack import Stack

    stack = Stack(rehearsal, "tags")
    try:
        queue = stack.queue("q")
        role = stack.role("fn-role", "lambda.amazonaws.com")
        fn = stack.function("fn", "hello", role_arn=role)
        stack.event_source_mapping(fn, queue, batch_size=1)
        assert queue.name == f"tags-{stack.run_id}-q"  # run id in names, as on AWS
        found = cleanup.find_leftovers(rehearsal, run_id=stack.run_id)
        assert {lo.kind for lo in found} == {"sqs-queue", "iam-role", "lambda-function",
                                             "log-group", "lambda-esm"}
        assert {lo.run_id for lo in found} == {stack.run_id}
        tags = rehearsal.client("sqs").list_queue_tags(QueueUrl=queue.url)["Tags"]
        assert tags == {RUN_TAG: stack.run_id, PROJECT_TAG_KEY: PROJECT_TAG}
        roles = rehearsal.client("iam").list_roles(PathPrefix=ROLE_PATH)["Roles"]
        assert [r["RoleName"] for r in roles] == [f"tags-{stack.run_id}-fn-role"]
        policies = rehearsal.client("iam").list_role_policies(RoleName=roles[0]["RoleName"])
        assert len(policies["PolicyNames"]) == 2  # its log group, its queue: scoped inline
    finally:
        stack.teardown()
    assert everything(rehearsal) == {}


def test_without_the_opt_in_nothing_is_created(endpoint, rehearsal, monkeypatch):
    monkeypatch.delenv("LAB_AWS_CONFIRM", raising=False)
    code, text = run_cli(["run", "polling", "--endpoint-url", endpoint,
                          "--param", "n_messages=2"])
    assert code == 3, text
    assert "DRESS REHEARSAL" in text and endpoint in text
    assert "without an explicit opt-in" in text
    assert everything(rehearsal) == {}


def test_lab_aws_plan_and_run_say_rehearsal_and_save_it(endpoint, rehearsal, tmp_path):
    code, text = run_cli(["--endpoint-url", endpoint, "plan"])
    assert code == 0, text
    assert text.startswith("DRESS REHEARSAL") and "AWS account: 123456789012" in text
    assert "Nothing was created" in text and everything(rehearsal) == {}
    code, text = run_cli(["run", "polling", "--endpoint-url", endpoint, "--yes",
                          "--param", "n_messages=2", "--param", "wait_times=[1]",
                          "--save", "rehearsed", "--runs-dir", str(tmp_path)])
    assert code == 0, text
    assert f"REHEARSAL against {endpoint} (not AWS): polling:" in text
    assert "(target rehearsal)" in text
    meta = json.loads((tmp_path / "rehearsed.json").read_text())
    assert meta["target"] == "rehearsal" and meta["endpoint_url"] == endpoint
    assert everything(rehearsal) == {}
    code, text = run_cli(["cleanup", "--endpoint-url", endpoint])
    assert code == 0 and "REHEARSAL" in text and "No serverless-lab leftovers" in text


# -- interrupted runs: a real `lab aws run` process ----------------------------------------
def _lab_aws(endpoint: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, **REAL_LOOKING_ENV, "LAB_PROGRESS": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("LAB_AWS_ENDPOINT_URL", None)
    env.pop("LAB_AWS_CONFIRM", None)
    # As from a terminal: SIGINT at its default. A pytest-xdist worker ignores SIGINT, and an
    # ignored signal stays ignored across exec, so Ctrl-C would never reach the run.
    return subprocess.Popen([sys.executable, "-m", "lab", "aws", *args, "--endpoint-url",
                             endpoint], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _start_long_latency_run(endpoint: str, rehearsal) -> subprocess.Popen:
    """`lab aws run latency` slow enough to be mid-run once its whole stack exists."""
    proc = _lab_aws(endpoint, "run", "latency", "--yes", "--param", "n_requests=400",
                    "--param", "rate_per_s=2")

    def deployed():
        if proc.poll() is not None:
            raise AssertionError(f"run ended early ({proc.returncode}):\n{proc.stdout.read()}")
        kinds = {lo.kind for lo in cleanup.find_leftovers(rehearsal)}
        return kinds if "http-api" in kinds else None

    kinds = poll_until(deployed, timeout=90, poll_every=0.5,
                       what=lambda: "latency stack not deployed")
    assert kinds == {"sqs-queue", "iam-role", "lambda-function", "log-group", "lambda-esm",
                     "http-api"}
    time.sleep(1.0)  # mid-run: requests flowing
    return proc


def _cleanup_deletes_the_rest(endpoint, rehearsal) -> str:
    proc = _lab_aws(endpoint, "cleanup", "--yes")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert cleanup.find_leftovers(rehearsal) == []
    assert everything(rehearsal) == {}
    return out


def test_a_run_stopped_with_sigint_exits_within_seconds_and_cleanup_finds_the_rest(
        endpoint, rehearsal):
    proc = _start_long_latency_run(endpoint, rehearsal)
    stopped = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # leave nothing for a rerun or the next test
        proc.kill()
        proc.communicate()
        _cleanup_deletes_the_rest(endpoint, rehearsal)
        raise
    assert time.monotonic() - stopped < 15
    assert proc.returncode == 130, out
    assert "interrupted" in out and "lab aws cleanup" in out
    assert "Traceback" not in out
    _cleanup_deletes_the_rest(endpoint, rehearsal)


def test_a_killed_run_leaves_its_stack_and_cleanup_deletes_it_by_tag_and_role_path(
        endpoint, rehearsal):
    proc = _start_long_latency_run(endpoint, rehearsal)
    proc.kill()  # no teardown at all
    proc.communicate(timeout=30)
    left = cleanup.find_leftovers(rehearsal)
    assert len({lo.run_id for lo in left}) == 1
    out = _cleanup_deletes_the_rest(endpoint, rehearsal)
    assert f"{len(left)} leftover(s)" in out and f"Deleted {len(left)}." in out
