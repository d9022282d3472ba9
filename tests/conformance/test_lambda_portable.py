"""The Lambda conformance checks once more, on a `lab serve` in portable mode
(LAB_PORTABLE=1): only what macOS has too (no prctl, no /proc, no bubblewrap), so the code
paths a Mac runs are exercised on Linux.

The checks are the conformance suite's own test functions, imported here: in this module
their `cloud` and `clean_cloud` are a portable-mode endpoint (SnapStart's restored
environments, forks of a template, included). Added here: the endpoint
says it is portable, a handler's child process ends with its environment, and no
environment (nor its children) outlives a SIGKILLed lab serve, with no parent-death
signal (each environment's bootstrap watches its parent).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from lab.offline.process import ServeProcess
from lab.targets import OfflineTarget
from tests.conformance.test_lambda_failures import (  # noqa: F401  (collected here again)
    test_crash_is_runtime_exit_error_and_the_environment_is_replaced,
    test_exception_in_init_code_is_reported_with_its_type,
    test_killed_by_a_signal_reports_the_signal,
    test_memory_over_memory_size_is_runtime_out_of_memory,
    test_timeout_kills_the_environment_and_the_next_invoke_is_cold,
)
from tests.conformance.test_lambda_invoke import (  # noqa: F401
    test_cold_start_then_warm_start_init_duration_only_on_the_first,
    test_environment_variables_as_lambda_sets_them,
    test_environments_route_lists_live_environments_with_real_rss,
    test_function_error_is_200_unhandled_with_error_payload,
)
from tests.conformance.test_lambda_lifecycle import (  # noqa: F401
    test_reset_kills_every_environment,
)
from tests.conformance.test_lambda_provisioned import (  # noqa: F401
    test_a_restored_environment_that_crashes_reports_its_exit,
    test_provisioned_environments_answer_first_without_init_then_excess_is_on_demand,
    test_snapstart_restores_with_restore_duration_and_hooks,
)
from tests.fixtures.lambda_ import (
    SLEEPY,
    deploy,
    invoke,
    lab_get,
    log_events,
    one_idle_one_busy,
    pid_alive,
    wait_until,
)

PORTABLE = {"LAB_PORTABLE": "1"}

# A handler that starts a child process (e.g. a tool it shells out to) and reports its pid.
WITH_CHILD = """
import subprocess, sys, time

def handler(event, context):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    print("child", child.pid, flush=True)
    time.sleep(event.get("sleep", 0))
    return child.pid
"""


@pytest.fixture(scope="module")
def serve_process():
    process = ServeProcess(env=PORTABLE)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def cloud(serve_process) -> OfflineTarget:
    return OfflineTarget(serve_process.url)


@pytest.fixture
def clean_cloud(cloud) -> OfflineTarget:
    cloud.reset()
    return cloud


def test_the_endpoint_says_it_runs_in_portable_mode(cloud):
    processes = lab_get(cloud, "/_lab/health")["lambda"]["processes"]
    assert processes["mode"] == "portable"
    assert "LAB_PORTABLE=1" in processes["reason"]
    assert "bootstrap" in processes["die_with_parent"]


def test_a_timeout_kills_the_handlers_child_processes_too(cloud):
    name = deploy(cloud, WITH_CHILD, Timeout=1)
    resp = invoke(cloud, name, {"sleep": 30})
    assert resp["body"]["errorType"] == "Sandbox.Timedout"
    [child] = [int(e.split()[1]) for e in _log_lines(cloud, name) if e.startswith("child ")]
    assert wait_until(lambda: not pid_alive(child), 5), "the environment's tree ended"


def test_no_environment_or_child_outlives_a_sigkilled_lab_serve():
    process = ServeProcess(env=PORTABLE)
    try:
        cloud = OfflineTarget(process.url)
        idle = deploy(cloud, WITH_CHILD, Timeout=60)
        busy = deploy(cloud, SLEEPY, Timeout=60)
        # an idle environment with a child of its own, and one busy in its handler
        envs, first = one_idle_one_busy(cloud, idle, busy)
        child = first["body"]
        pids = [e["pid"] for e in envs] + [child]
        assert all(pid_alive(p) for p in pids)
        os.kill(process.pid, signal.SIGKILL)  # no shutdown code runs, no prctl to rely on
        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(pid_alive(p) for p in pids), \
            f"environments and their children ended with their lab serve: {_ps(pids)}"
    finally:
        process.stop()


def _log_lines(cloud, name: str) -> list[str]:
    return [e["message"].strip() for e in log_events(cloud, name)]


def _ps(pids: list[int]) -> list[str]:
    import psutil

    out = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            out.append(f"{pid} {p.status()} ppid={p.ppid()} {' '.join(p.cmdline()[:4])}")
        except psutil.Error:
            out.append(f"{pid} gone")
    return out

