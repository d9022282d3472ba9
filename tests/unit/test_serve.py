"""`lab serve`: the endpoint contract every notebook and later feature relies on."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from lab.offline.process import ServeProcess
from lab.targets import OfflineTarget
from tests.fixtures.common import pid_alive, wait_until


def test_answers_health_as_soon_as_it_says_ready():
    """How fast it starts is a benchmark (benchmarks/bench_startup.py: <= 2 s on an idle
    2-core machine), not a timed test: here, once ready it answers at once."""
    process = ServeProcess()
    try:
        with urllib.request.urlopen(f"{process.url}/_lab/health", timeout=2) as resp:
            assert resp.status == 200
    finally:
        process.stop()


def test_health_reports_ready_moto_version_and_services(serve_process):
    with urllib.request.urlopen(f"{serve_process.url}/_lab/health", timeout=2) as resp:
        assert resp.headers["Content-Type"].startswith("application/json")
        body = json.load(resp)
    assert body["status"] == "ready"
    assert body["moto"].startswith("5.2.")
    assert "control_plane" in body["services"]


def test_port_zero_picks_a_free_port_and_prints_the_ready_line():
    proc = subprocess.Popen([sys.executable, "-m", "lab", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("lab serve: ready at http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        assert port not in (0, 4566)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, "SIGTERM is a clean shutdown"
    assert "lab serve: stopped" in out


def test_port_in_use_is_a_clear_error_not_a_traceback():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "lab", "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_host_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "lab", "serve", "--host", "no.such.host.invalid",
                             "--port", "0"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "invalid host 'no.such.host.invalid'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_os_process_sees_the_same_state(clean_cloud):
    clean_cloud.client("sqs").create_queue(QueueName="shared-state")
    script = textwrap.dedent(f"""
        from lab.targets import OfflineTarget
        sqs = OfflineTarget({clean_cloud.endpoint_url!r}).client("sqs")
        print(sqs.list_queues()["QueueUrls"])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert "shared-state" in out


def test_no_process_is_left_behind_when_the_parent_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import time, lab
            t = lab.connect()
            print(t.pid, t.endpoint_url, flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        pid_text, url = parent.stdout.readline().split()
        serve_pid = int(pid_text)
        assert pid_alive(serve_pid)
    finally:
        parent.kill()  # SIGKILL: no atexit, no cleanup code runs in the parent
        parent.wait()
    wait_until(lambda: not pid_alive(serve_pid), 5, what="lab serve to exit with its parent")
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        # Nothing listens there any more. SO_REUSEADDR as servers (and lab serve) set it:
        # without it, the connections the server closed (TIME_WAIT) would refuse the bind.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()


def test_lab_serve_exits_when_its_parent_died_while_it_was_starting():
    # The parent starts it (as ServeProcess does) and exits before it is ready: the watcher
    # used to read its parent only once ready, saw init, and never stopped (an orphan).
    launcher = textwrap.dedent("""
        import os, subprocess, sys
        env = dict(os.environ, LAB_SERVE_PARENT_PID=str(os.getpid()))
        child = subprocess.Popen([sys.executable, "-m", "lab", "serve", "--port", "0",
                                  "--exit-with-parent"], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(child.pid, flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True,
                          timeout=30)
    serve_pid = int(done.stdout)
    try:
        wait_until(lambda: not pid_alive(serve_pid), 30, what="lab serve to see its parent gone")
    finally:
        if pid_alive(serve_pid):
            os.kill(serve_pid, signal.SIGKILL)


def test_lab_serve_from_a_command_line_runs_on_the_c_allocator():
    # issue 15's soak: CPython's arenas pinned freed memory; `lab serve` re-execs (same PID)
    # with PYTHONMALLOC=malloc unless the variable is already set.
    process = ServeProcess()
    try:
        import psutil

        assert psutil.Process(process.pid).environ().get("PYTHONMALLOC") == \
            os.environ.get("PYTHONMALLOC", "malloc")
    finally:
        process.stop()


def test_aws_cli_works_against_lab_serve(clean_cloud):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", clean_cloud.endpoint_url]
    out = subprocess.run(aws + ["sqs", "create-queue", "--queue-name", "from-cli"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "from-cli" in json.loads(out.stdout)["QueueUrl"]
    urls = OfflineTarget(clean_cloud.endpoint_url).client("sqs").list_queues()["QueueUrls"]
    assert any(u.endswith("/from-cli") for u in urls)


@pytest.mark.parametrize("path", ["/moto-api/reset", "/_lab/reset"])
def test_reset_forgets_every_resource(cloud, path):
    sqs = cloud.client("sqs")
    sqs.create_queue(QueueName="to-forget")
    req = urllib.request.Request(cloud.endpoint_url + path, method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).close()
    assert "QueueUrls" not in sqs.list_queues()


def _wait_for_ready_line(path, timeout: float = 30.0) -> str:
    def ready():
        try:
            text = open(path).read()
        except FileNotFoundError:
            return None
        for line in text.splitlines():
            if line.startswith("lab serve: ready at "):
                return line.removeprefix("lab serve: ready at ").strip()
        return None

    return wait_until(ready, timeout, interval=0.1, what="the ready line of lab serve")


def test_lab_serve_started_from_a_shell_that_exits_keeps_running(tmp_path):
    # `lab serve &` in a script: the script (its parent) exits at once; the server stays.
    log = tmp_path / "serve.log"
    shell = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m lab serve --port 0 >"{log}" 2>&1 & echo $!'],
        capture_output=True, text=True, check=True, timeout=30)
    serve_pid = int(shell.stdout.strip())
    try:
        url = _wait_for_ready_line(log)
        time.sleep(0.6)  # longer than the parent watcher's period
        assert pid_alive(serve_pid), open(log).read()
        with urllib.request.urlopen(f"{url}/_lab/health", timeout=5) as resp:
            assert resp.status == 200
    finally:
        os.kill(serve_pid, signal.SIGTERM)
    wait_until(lambda: not pid_alive(serve_pid), 10, what="lab serve to stop on SIGTERM")
    assert "lab serve: stopped" in open(log).read()


@pytest.mark.flaky(reruns=2)  # the parent watcher polls; a saturated machine can exceed the 5 s wait
def test_serve_process_ends_with_its_parent_and_says_why(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import time
            from lab.offline.process import ServeProcess
            p = ServeProcess()
            print(p.pid, p.log_path, flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        pid_text, log_path = parent.stdout.readline().split()
        serve_pid = int(pid_text)
        assert pid_alive(serve_pid)
    finally:
        parent.kill()
        parent.wait()
    wait_until(lambda: not pid_alive(serve_pid), 5, what="lab serve to exit with its parent")
    log = open(log_path).read()
    os.unlink(log_path)
    assert f"the process that started it (pid {parent.pid}) exited (--exit-with-parent)" in log
