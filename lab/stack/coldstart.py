"""Forced cold starts, the lambda-perf way: changing the function's configuration (here one
environment variable) retires its execution environments, so the next invoke runs INIT.
And the opposite, warm-ups: environments initialised before traffic needs them.
Works the same offline (`lab serve` retires environments on update) and on AWS.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

# The lab's handlers answer a warm-up event doing nothing but wait `hold_s` seconds.
WARM_UP_EVENT = {"warmup": True, "hold_s": 0}

COLD_START_VARIABLE = "LAB_COLD_START"


def retire_environments(lam, function_name: str, *, variables: dict | None = None,
                        marker: str | None = None, waiter_delay: int = 1,
                        max_attempts: int = 60) -> str:
    """Set LAB_COLD_START to `marker` (default: a fresh one) on top of `variables` (default:
    the function's current environment variables) and wait for function_updated_v2: the
    function's warm execution environments are retired, the next invoke runs INIT.
    Returns the marker."""
    marker = marker or uuid.uuid4().hex[:12]
    if variables is None:
        config = lam.get_function_configuration(FunctionName=function_name)
        variables = (config.get("Environment") or {}).get("Variables") or {}
    lam.update_function_configuration(
        FunctionName=function_name,
        Environment={"Variables": {**variables, COLD_START_VARIABLE: marker}})
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=function_name,
        WaiterConfig={"Delay": waiter_delay, "MaxAttempts": max_attempts})
    return marker


def force_cold_start(lam, function_name: str, *, payload: dict | None = None,
                     marker: str | None = None, waiter_delay: int = 1,
                     max_attempts: int = 60) -> dict:
    """Retire the function's environments (`retire_environments`), invoke once.

    Returns {"request_id", "marker", "status_code", "function_error", "payload"}; the
    request id is the one in the invocation's REPORT line (with Init Duration).
    """
    marker = retire_environments(lam, function_name, marker=marker, waiter_delay=waiter_delay,
                                 max_attempts=max_attempts)
    resp = lam.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                      Payload=json.dumps(payload or {}).encode())
    body = resp["Payload"].read() if hasattr(resp.get("Payload"), "read") else resp.get("Payload")
    return {"request_id": resp["ResponseMetadata"]["RequestId"], "marker": marker,
            "status_code": resp.get("StatusCode"), "function_error": resp.get("FunctionError"),
            "payload": body}


def warm_up(lam, function_name: str, environments: int = 1, *, hold_s: float = 0.5) -> None:
    """Initialise `environments` execution environments of the function before traffic:
    that many warm-up invokes at once. Each holds its environment `hold_s` seconds before it
    answers, as warmers do (serverless-plugin-warmup, lambda-warmer: a short delay "when
    concurrency is used"), so the invokes overlap and none is served by an environment
    another one already finished with; 0.5 s leaves room for a busy machine here, and costs
    under a second of billed time per environment on AWS.

    Why: where an experiment compresses the visibility timeout to a second or two, a batch
    delivered to a cold environment stays in flight through INIT as well, and on a busy
    machine INIT alone can outlast it: the batch comes back before it is deleted, a
    duplicate that has nothing to do with what is studied."""
    payload = json.dumps({**WARM_UP_EVENT, "hold_s": hold_s if environments > 1 else 0})

    def invoke(_):
        resp = lam.invoke(FunctionName=function_name, Payload=payload)
        if resp.get("FunctionError"):
            raise RuntimeError(f"warm-up of {function_name} failed: {resp['Payload'].read()!r}")

    with ThreadPoolExecutor(max_workers=environments) as pool:
        list(pool.map(invoke, range(environments)))
