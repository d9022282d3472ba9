"""Execution environments end with `lab serve`; other extensions invoke in-process.

No orphans: every environment process is killed by the kernel when `lab serve` dies, even
by SIGKILL (PR_SET_PDEATHSIG, set from one long-lived spawner thread), and on reset.
"""

from __future__ import annotations

import os
import signal

import pytest

from lab.offline.errors import LabAwsError
from lab.offline.process import ServeProcess
from lab.offline.server import LabServer
from lab.targets import OfflineTarget
from tests.fixtures.lambda_ import (
    SLEEPY,
    deploy,
    environments,
    invoke,
    one_idle_one_busy,
    pid_alive,
    wait_until,
)


def test_no_environment_outlives_a_sigkilled_lab_serve():
    process = ServeProcess()
    try:
        cloud = OfflineTarget(process.url)
        idle = deploy(cloud, SLEEPY, Timeout=60)
        busy = deploy(cloud, SLEEPY, Timeout=60)
        envs, _ = one_idle_one_busy(cloud, idle, busy)
        pids = [e["pid"] for e in envs]
        assert all(pid_alive(p) for p in pids)
        os.kill(process.pid, signal.SIGKILL)
        assert wait_until(lambda: not any(pid_alive(p) for p in pids), 5), \
            "environment processes ended with their lab serve"
    finally:
        process.stop()


def test_reset_kills_every_environment(clean_cloud):
    name = deploy(clean_cloud, SLEEPY)
    invoke(clean_cloud, name)
    [env] = environments(clean_cloud, name)
    clean_cloud.reset()
    assert wait_until(lambda: not pid_alive(env["pid"]), 5)
    assert environments(clean_cloud) == []


def test_services_lambda_invoke_in_process_interface():
    """The interface other extensions use (docs/architecture.md)."""
    with LabServer(port=0) as server:
        cloud = OfflineTarget(server.url)
        name = deploy(cloud, "def handler(e, c):\n    return {'got': e}\n")
        service = server.app.services["lambda"]
        result = service.invoke(function=name, payload=b'{"a": 1}')
        assert result.status == 200 and result.payload == b'{"got": {"a": 1}}'
        assert result.function_error is None and result.error_type is None
        assert result.executed_version == "$LATEST" and len(result.request_id) == 36
        assert result.log_tail is None
        tailed = service.invoke(function=name, payload=b"{}", log_type="Tail")
        assert tailed.log_tail
        assert service.invoke(function=name, invocation_type="Event").status == 202
        assert service.invoke(function=name, invocation_type="DryRun").status == 204
        with pytest.raises(LabAwsError) as missing:
            service.invoke(function="nope")
        assert (missing.value.code, missing.value.status) == ("ResourceNotFoundException", 404)
        with pytest.raises(LabAwsError) as bad:
            service.invoke(function=name, invocation_type="Sometimes")
        assert bad.value.status == 400
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        failing = deploy(cloud, "def handler(e, c):\n    raise KeyError('k')\n")
        failed = service.invoke(function=arn.replace(name, failing), payload=b"{}")
        assert (failed.status, failed.function_error, failed.error_type) == (
            200, "Unhandled", "KeyError")
        pids = [e["pid"] for e in service.environments()]
    assert pids and wait_until(lambda: not any(pid_alive(p) for p in pids), 5), \
        "shutdown ends the environments"

