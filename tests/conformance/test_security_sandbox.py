"""Each execution environment is contained as Lambda's sandbox contains it (issue 15,
finding 3): what a handler sees (its own processes only, /var/task read-only, a private
/tmp sized by EphemeralStorage, /opt, Lambda's variables and no host secret), and that its
whole process tree ends with it (timeout, crash, reset, SIGKILL of `lab serve`) and counts
against MemorySize. Where the OS forbids bubblewrap, or LAB_SANDBOX=none, environments are
plain processes and `lab serve` says so.

Sources: Lambda Developer Guide lambda-runtime-environment, configuration-ephemeral-storage
(/tmp 512 MB by default, up to 10,240 MB), chapter-layers (/opt), configuration-envvars.
"""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from lab.offline.lambda_ import sandbox
from lab.offline.process import ServeProcess
from lab.targets import OfflineTarget
from tests.fixtures.lambda_ import deploy, environments, invoke, wait_until

SECRET = f"host-secret-{uuid.uuid4().hex}"

WHAT_I_SEE = """
import json, os

def handler(event, context):
    seen = {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "cwd": os.getcwd(), "task_root": os.environ["LAMBDA_TASK_ROOT"],
            "opt": os.path.isdir("/opt"), "uid": os.getuid()}
    environs = []
    for pid in seen["pids"]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                environs.append(fh.read().decode(errors="replace"))
        except OSError:
            pass
    seen["environs"] = environs
    seen["env"] = dict(os.environ)
    try:
        open("/var/task/new-file", "w")
        seen["task_writable"] = True
    except OSError:
        seen["task_writable"] = False
    with open("/tmp/" + event["marker"], "w") as fh:
        fh.write("x")
    st = os.statvfs("/tmp")
    seen["tmp_mb"] = st.f_blocks * st.f_frsize // 2**20
    return seen
"""

# Starts a detached grandchild (new session, like a daemon) that would sleep for 5 minutes
# under a unique marker in its command line, then does what the event asks.
SPAWNER = """
import os, subprocess, sys, time

def handler(event, context):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", event["marker"]],
                     start_new_session=True)
    time.sleep(0.3)  # the monitor sees the tree
    if event.get("then") == "crash":
        os._exit(1)
    time.sleep(event.get("sleep", 0))
    return "spawned"
"""


def _marked(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        found.append(int(pid))
            except OSError:
                pass
    return found


BOX = sandbox.detect()
bubblewrap = pytest.mark.skipif(BOX.mode != "bubblewrap", reason=f"no sandbox: {BOX.reason}")


@pytest.fixture(scope="module")
def secret_serve():
    """A `lab serve` started with a secret in its environment (as a notebook kernel holding
    real AWS credentials would start it)."""
    process = ServeProcess(env={"LAB_TEST_SECRET": SECRET, "AWS_SECRET_ACCESS_KEY": SECRET})
    yield process
    process.stop()


@bubblewrap
def test_sandbox_is_on_by_default_and_health_says_so(secret_serve):
    cloud = OfflineTarget(secret_serve.url)
    sandbox = cloud.lab.call("health", timeout=10)["sandbox"]
    assert sandbox["mode"] == "bubblewrap", sandbox
    with open(secret_serve.log_path) as fh:
        assert "run in a bubblewrap sandbox" in fh.read()


@bubblewrap
def test_a_handler_sees_lambdas_sandbox_and_no_host_secret(secret_serve):
    cloud = OfflineTarget(secret_serve.url)
    name = deploy(cloud, WHAT_I_SEE, EphemeralStorage={"Size": 1024})
    marker = f"written-{uuid.uuid4().hex}"
    seen = invoke(cloud, name, {"marker": marker})["body"]
    assert len(seen["pids"]) <= 3, f"only its own processes in /proc: {seen['pids']}"
    assert seen["cwd"] == seen["task_root"] == "/var/task"
    assert seen["task_writable"] is False, "/var/task is read-only"
    assert seen["opt"] is True
    assert seen["uid"] != 0
    assert seen["tmp_mb"] == 1024, "/tmp is sized by EphemeralStorage"
    assert not os.path.exists(f"/tmp/{marker}"), "the handler's /tmp is not the host's"
    assert SECRET not in str(seen["env"]) and all(SECRET not in e for e in seen["environs"])
    assert seen["env"]["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert seen["env"]["AWS_ENDPOINT_URL"] == secret_serve.url
    for var in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION",
                "AWS_LAMBDA_LOG_GROUP_NAME", "_HANDLER", "AWS_EXECUTION_ENV"):
        assert var in seen["env"], var
    default = deploy(cloud, WHAT_I_SEE)
    assert invoke(cloud, default, {"marker": marker})["body"]["tmp_mb"] == 512


@pytest.mark.parametrize("ending", ["timeout", "crash", "reset"])
def test_a_detached_child_ends_with_its_environment(secret_serve, ending):
    cloud = OfflineTarget(secret_serve.url)
    name = deploy(cloud, SPAWNER, Timeout=2)
    marker = f"sbx-child-{uuid.uuid4().hex}"
    event = {"marker": marker, "sleep": 30 if ending == "timeout" else 0,
             "then": "crash" if ending == "crash" else None}
    body = invoke(cloud, name, event)["body"]
    if ending == "reset":
        assert body == "spawned" and _marked(marker), "the child runs while the env lives"
        cloud.reset()
    else:
        assert body["errorType"] == {"timeout": "Sandbox.Timedout",
                                     "crash": "Runtime.ExitError"}[ending]
    assert wait_until(lambda: not _marked(marker), 5, what="the detached child is gone")


def test_memory_size_counts_the_whole_process_tree(secret_serve):
    cloud = OfflineTarget(secret_serve.url)
    name = deploy(cloud, """
        import subprocess, sys, time

        def handler(event, context):
            code = "b = b'1' * (40 << 20); import time; time.sleep(20)"
            kids = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
            time.sleep(8)
            return "survived"
    """, MemorySize=128, Timeout=15)
    resp = invoke(cloud, name)
    assert resp["body"]["errorType"] == "Runtime.OutOfMemory", resp["body"]


@bubblewrap
def test_nothing_outlives_a_sigkilled_lab_serve():
    process = ServeProcess()
    try:
        cloud = OfflineTarget(process.url)
        name = deploy(cloud, SPAWNER, Timeout=60)
        marker = f"sbx-orphan-{uuid.uuid4().hex}"
        assert invoke(cloud, name, {"marker": marker})["body"] == "spawned"
        [env] = environments(cloud, name)
        assert _marked(marker)
        os.kill(process.pid, signal.SIGKILL)
        assert wait_until(lambda: not _marked(marker), 5, what="the detached child is gone")
    finally:
        process.stop()


def test_without_bubblewrap_lab_serve_says_what_is_not_contained():
    process = ServeProcess(env={"LAB_SANDBOX": "none"})
    try:
        cloud = OfflineTarget(process.url)
        sandbox = cloud.lab.call("health", timeout=10)["sandbox"]
        assert sandbox["mode"] == "none" and "LAB_SANDBOX" in sandbox["reason"]
        assert "/proc" in sandbox["not_contained"]
        with open(process.log_path) as fh:
            assert "without a sandbox" in fh.read()
        name = deploy(cloud, SPAWNER, Timeout=2)
        marker = f"plain-child-{uuid.uuid4().hex}"
        resp = invoke(cloud, name, {"marker": marker, "sleep": 30})
        assert resp["body"]["errorType"] == "Sandbox.Timedout"
        assert wait_until(lambda: not _marked(marker), 5,
                          what="a detached child seen in the tree is killed too")
        seen = invoke(cloud, deploy(cloud, WHAT_I_SEE),
                      {"marker": f"m-{uuid.uuid4().hex}"})["body"]  # /tmp is shared here
        assert seen["task_root"] != "/var/task" and len(seen["pids"]) > 3
    finally:
        process.stop()
