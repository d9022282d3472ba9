"""Concurrency, reuse and retirement of execution environments; asynchronous invocation.

Sources: Lambda Developer Guide lambda-concurrency, configuration-concurrency
(ReservedConcurrentExecutions, throttling 429), invocation-async (retries, destinations),
lambda-runtime-environment (warm reuse, shutdown after idle), API Invoke.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from lab.stack.coldstart import warm_up
from tests.fixtures.lambda_ import (
    NO_RETRY,
    SLEEPY,
    deploy,
    environments,
    in_distinct_environments,
    invocations,
    invoke,
    lab_config,
    lab_get,
    pid_alive,
    wait_holding,
    wait_until,
    wait_updated,
    zip_of,
)


def test_concurrent_invocations_each_get_their_own_cold_environment(cloud):
    name = deploy(cloud, SLEEPY, Timeout=10)
    results = in_distinct_environments(cloud, name, 3)
    assert [r["body"] for r in results] == ["done"] * 3
    records = invocations(cloud, name)
    assert len({r["environment_id"] for r in records}) == 3
    assert all(r["cold"] for r in records)
    # the three environments stay warm: the next three (sequential) are warm starts
    for _ in range(3):
        invoke(cloud, name)
    later = invocations(cloud, name)[3:]
    assert not any(r["cold"] for r in later)
    assert {r["environment_id"] for r in later} <= {r["environment_id"] for r in records}


WARMABLE = """
import time

def handler(event, context):
    if event.get("warmup") is True:
        time.sleep(event.get("hold_s", 0))
        return None
    return "done"
"""


def test_warm_up_initialises_the_environments_asked_for_and_the_next_invokes_are_warm(cloud):
    """lab.stack.coldstart.warm_up: N concurrent warm-up invokes that overlap (each holds its
    environment), so N environments are initialised; traffic after it runs no INIT."""
    name = deploy(cloud, WARMABLE)
    warm_up(cloud.client("lambda"), name, 3)
    envs = environments(cloud, name)
    assert len(envs) == 3 and {e["state"] for e in envs} == {"idle"}
    warmed = invocations(cloud, name)
    assert len(warmed) == 3 and all(r["cold"] for r in warmed)
    assert len({r["environment_id"] for r in warmed}) == 3
    for _ in range(3):
        invoke(cloud, name)
    assert not any(r["cold"] for r in invocations(cloud, name)[3:])


def test_reserved_concurrency_zero_throttles_every_invoke(cloud):
    name = deploy(cloud, SLEEPY)
    lam = cloud.client("lambda", config=NO_RETRY)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b"{}")
    err = caught.value.response
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_reserved_concurrency_caps_concurrent_environments(cloud):
    name = deploy(cloud, SLEEPY, Timeout=10)
    lam = cloud.client("lambda", config=NO_RETRY)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)

    def attempt():
        try:
            return invoke(cloud, name, {"sleep": 3}, client=lam)["body"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    # Two invocations hold the two environments the reservation allows (each sent once the
    # one before holds its environment); two more, sent while they hold, are throttled.
    with ThreadPoolExecutor(2) as pool:
        held = []
        for k in (1, 2):
            held.append(pool.submit(attempt))
            wait_holding(cloud, name, k)
        extra = [attempt(), attempt()]
        results = [f.result() for f in held]
    assert extra == ["TooManyRequestsException"] * 2
    assert results == ["done"] * 2
    assert len({r["environment_id"] for r in invocations(cloud, name)}) == 2


def test_idle_environments_shut_down_after_the_keep_alive(cloud):
    previous = lab_get(cloud, "/_lab/lambda/config")["keep_alive_s"]
    lab_config(cloud, keep_alive_s=0.5)
    try:
        name = deploy(cloud, SLEEPY)
        invoke(cloud, name)
        [env] = environments(cloud, name)
        assert wait_until(lambda: environments(cloud, name) == [], 5)
        assert wait_until(lambda: not pid_alive(env["pid"]), 5)
        invoke(cloud, name)
    finally:
        lab_config(cloud, keep_alive_s=previous)
    assert [r["cold"] for r in invocations(cloud, name)] == [True, True]


@pytest.mark.parametrize("update", ["code", "configuration"])
def test_updating_the_function_retires_its_environments(cloud, update):
    source = "def handler(e, c):\n    import os\n    return [{v!r}, os.environ.get('V')]\n"
    name = deploy(cloud, source.format(v="v1"))
    lam = cloud.client("lambda")
    assert invoke(cloud, name)["body"] == ["v1", None]
    [old] = environments(cloud, name)
    if update == "code":
        lam.update_function_code(FunctionName=name,
                                 ZipFile=zip_of({"app.py": source.format(v="v2")}))
        expected = ["v2", None]
    else:
        lam.update_function_configuration(FunctionName=name,
                                          Environment={"Variables": {"V": "new"}})
        expected = ["v1", "new"]
    wait_updated(lam, name)
    assert invoke(cloud, name)["body"] == expected
    records = invocations(cloud, name)
    assert records[1]["cold"] and records[1]["environment_id"] != old["environment_id"]
    assert wait_until(lambda: not pid_alive(old["pid"]), 5), "the old environment is shut down"


def test_async_invoke_is_accepted_with_202_and_runs_once_on_success(cloud):
    name = deploy(cloud, SLEEPY)
    resp = cloud.client("lambda").invoke(FunctionName=name, InvocationType="Event",
                                         Payload=b'{"sleep": 0}')
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    rid = resp["ResponseMetadata"]["RequestId"]
    assert wait_until(lambda: invocations(cloud, name), 10)
    [record] = invocations(cloud, name)
    assert record["request_id"] == rid and record["function_error"] is None


def test_async_function_error_is_retried_twice_then_sent_to_on_failure_destination(cloud):
    previous = lab_get(cloud, "/_lab/lambda/config")["async_retry_delays_s"]
    lab_config(cloud, async_retry_delays_s=[0.2, 0.4])  # AWS: about 1 and 2 minutes
    try:
        sqs = cloud.client("sqs")
        url = sqs.create_queue(QueueName=f"failures-{threading.get_ident()}")["QueueUrl"]
        dest = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        name = deploy(cloud, "def handler(e, c):\n    raise Exception('always fails')\n")
        lam = cloud.client("lambda")
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": dest}})
        resp = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"k": 1}')
        rid = resp["ResponseMetadata"]["RequestId"]
        assert wait_until(lambda: len(invocations(cloud, name)) >= 3, 15)
        msgs = wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"), 10)
    finally:
        lab_config(cloud, async_retry_delays_s=previous)
    records = invocations(cloud, name)
    assert len(records) == 3, "one attempt and two retries"
    assert {r["request_id"] for r in records} == {rid}, "retries keep the request id"
    gaps = [records[i + 1]["start_ms"] - records[i]["end_ms"] for i in range(2)]
    assert gaps[0] >= 200 and gaps[1] >= 400
    record = json.loads(msgs[0]["Body"])
    assert record["requestContext"]["requestId"] == rid
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"k": 1}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always fails"


def test_async_max_retry_attempts_zero_runs_once(cloud):
    name = deploy(cloud, "def handler(e, c):\n    raise Exception('no')\n")
    lam = cloud.client("lambda")
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    def finished():
        done = lab_get(cloud, "/_lab/lambda/environments")["async_finished"]
        return [f for f in done if f["function"] == name]

    [done] = wait_until(finished, 10)
    assert (done["condition"], done["attempts"]) == ("RetriesExhausted", 1)
    assert len(invocations(cloud, name)) == 1
