"""Provisioned concurrency and SnapStart, in AWS terms.

Provisioned concurrency: https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
and the API (PutProvisionedConcurrencyConfig, Get..., List..., Delete...). SnapStart:
https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html (REPORT fields:
snapstart-monitoring.html; hooks: snapstart-runtime-hooks-python.html). Offline, the
snapshot restore is a MODEL (a fork of an initialised template).
"""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.lambda_ import (
    deploy,
    in_distinct_environments,
    invocations,
    invoke,
    log_events,
    wait_until,
)

INIT_TYPE = """
import os, random

INIT_VALUE = random.random()

def handler(event, context):
    import time
    time.sleep(event.get("sleep", 0))
    return {"init_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "init_value": INIT_VALUE, "pid": os.getpid(), "drawn_now": random.random()}
"""

HOOKS = """
import os, random, secrets
from snapshot_restore_py import register_after_restore, register_before_snapshot

INIT_VALUE = random.random()
EVENTS = []

@register_before_snapshot
def before():
    EVENTS.append(("before", os.getpid()))

@register_after_restore
def after():
    global INIT_VALUE
    EVENTS.append(("after", os.getpid()))
    INIT_VALUE = secrets.randbelow(10**9)   # the fix: kernel entropy, unique per environment

def handler(event, context):
    import time
    time.sleep(event.get("sleep", 0))
    return {"events": EVENTS, "pid": os.getpid(), "init_value": INIT_VALUE,
            "drawn_now": random.random(),
            "init_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
"""


def _published(cloud, source, **config):
    config.setdefault("Timeout", 10)  # room for in_distinct_environments' 3 s hold
    name = deploy(cloud, source, **config)
    lam = cloud.client("lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    return name, version


def _wait_ready(lam, name, qualifier, timeout=30):
    def ready():
        cfg = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        return cfg if cfg["Status"] == "READY" else None
    return wait_until(ready, timeout)


# -- provisioned concurrency: the control plane ----------------------------------------------
def test_put_get_list_delete_with_aws_shapes(clean_cloud):
    name, version = _published(clean_cloud, INIT_TYPE)
    lam = clean_cloud.client("lambda")
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] == "IN_PROGRESS"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", put["LastModified"])
    ready = _wait_ready(lam, name, version)
    assert ready, lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    [item] = listed["ProvisionedConcurrencyConfigs"]
    assert item["FunctionArn"].endswith(f":function:{name}:{version}")
    assert item["Status"] == "READY"
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    with pytest.raises(ClientError) as err:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert err.value.response["Error"]["Code"] == "ProvisionedConcurrencyConfigNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_latest_is_refused(clean_cloud):
    name = deploy(clean_cloud, INIT_TYPE)
    lam = clean_cloud.client("lambda")
    with pytest.raises(ClientError) as err:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")


# -- provisioned concurrency: the data plane -------------------------------------------------
def test_provisioned_environments_answer_first_without_init_then_excess_is_on_demand(
        clean_cloud):
    name, version = _published(clean_cloud, INIT_TYPE)
    lam = clean_cloud.client("lambda")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert _wait_ready(lam, name, "live")
    bodies = [r["body"] for r in in_distinct_environments(clean_cloud, name, 3, Qualifier="live")]
    kinds = sorted(b["init_type"] for b in bodies)
    assert kinds == ["on-demand", "provisioned-concurrency", "provisioned-concurrency"]
    records = invocations(clean_cloud, name)
    by_type = {r["initialization_type"]: r for r in records}
    assert all(r["init_duration_ms"] is None for r in records
               if r["initialization_type"] == "provisioned-concurrency")
    assert by_type["on-demand"]["init_duration_ms"] is not None
    reports = [e["message"] for e in log_events(clean_cloud, name) if
               e["message"].startswith("REPORT")]
    assert sum("Init Duration" in r for r in reports) == 1


# -- SnapStart ---------------------------------------------------------------------------------
def test_snapstart_configuration_shape(clean_cloud):
    name, version = _published(clean_cloud, INIT_TYPE,
                               SnapStart={"ApplyOn": "PublishedVersions"})
    lam = clean_cloud.client("lambda")
    latest = lam.get_function_configuration(FunctionName=name)["SnapStart"]
    published = lam.get_function_configuration(FunctionName=name, Qualifier=version)
    assert latest == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    assert published["SnapStart"] == {"ApplyOn": "PublishedVersions",
                                      "OptimizationStatus": "On"}


def test_snapstart_restores_with_restore_duration_and_hooks(clean_cloud):
    name, version = _published(clean_cloud, HOOKS, SnapStart={"ApplyOn": "PublishedVersions"})
    bodies = [r["body"] for r in in_distinct_environments(clean_cloud, name, 2, Qualifier=version)]
    for body in bodies:
        assert body["init_type"] == "snap-start"
        (before, before_pid), (after, after_pid) = body["events"]
        assert (before, after) == ("before", "after")
        assert before_pid != body["pid"]  # before-snapshot ran in the template, once
        assert after_pid == body["pid"]  # after-restore ran in this environment
    assert bodies[0]["events"][0] == bodies[1]["events"][0]
    assert bodies[0]["init_value"] != bodies[1]["init_value"]  # the hook's fix works
    reports = [e["message"] for e in log_events(clean_cloud, name)
               if e["message"].startswith("REPORT")]
    assert len(reports) == 2
    for report in reports:
        assert "Init Duration" not in report
        assert re.search(r"\tRestore Duration: \d+\.\d\d ms\tBilled Restore Duration: \d+ ms",
                         report), report
    records = invocations(clean_cloud, name)
    assert all(r["restore_duration_ms"] > 0 for r in records), records


def test_snapstart_uniqueness_hazard(clean_cloud):
    """A value drawn in INIT is the same in every restored environment (the hazard);
    on-demand environments of $LATEST each draw their own."""
    name, version = _published(clean_cloud, INIT_TYPE, SnapStart={"ApplyOn": "PublishedVersions"})
    restored = [r["body"] for r in in_distinct_environments(clean_cloud, name, 3,
                                                             Qualifier=version)]
    on_demand = [r["body"] for r in in_distinct_environments(clean_cloud, name, 2)]
    assert len({b["pid"] for b in restored}) == 3
    assert len({b["init_value"] for b in restored}) == 1
    # the PRNG state is in the snapshot too: the first random.random() of each restored
    # environment is the same ("entropy used to generate pseudorandomness", snapstart-uniqueness)
    assert len({b["drawn_now"] for b in restored}) == 1
    assert {b["init_type"] for b in on_demand} == {"on-demand"}
    assert len({b["init_value"] for b in on_demand}) == 2


def test_a_provisioned_environment_that_dies_is_replaced(clean_cloud):
    """Lambda keeps the provisioned environments allocated: one killed by a timeout is
    initialised again, ahead of traffic."""
    name, version = _published(clean_cloud, INIT_TYPE, Timeout=1)
    lam = clean_cloud.client("lambda")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    assert _wait_ready(lam, name, version)
    first = invoke(clean_cloud, name, {"sleep": 3}, Qualifier=version)
    assert first["FunctionError"] == "Unhandled"  # Task timed out: the environment is killed

    def replaced():
        cfg = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
        return cfg["AllocatedProvisionedConcurrentExecutions"] == 1 or None
    assert wait_until(replaced, 20)
    again = invoke(clean_cloud, name, Qualifier=version)["body"]
    assert again["init_type"] == "provisioned-concurrency"
    records = invocations(clean_cloud, name)
    assert records[-1]["init_duration_ms"] is None  # initialised before this request


def test_a_restored_environment_that_crashes_reports_its_exit(clean_cloud):
    crash = "import os\n\ndef handler(event, context):\n    os._exit(3)\n"
    name, version = _published(clean_cloud, crash, SnapStart={"ApplyOn": "PublishedVersions"})
    resp = invoke(clean_cloud, name, Qualifier=version)
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in resp["body"]["errorMessage"]
