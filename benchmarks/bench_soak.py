"""Soak: `lab serve` under minutes of mixed traffic comes back to idle (issue 15).

40 clients for LAB_SOAK_SECONDS (default 150 s) send, receive (and delete) SQS messages and
invoke a function; 20% of the invocations crash (os._exit), time out, or start a detached
child process (setsid). Targets: no error beyond the injected ones; after a reset, the
endpoint's descriptors, threads and RSS within 10% of idle (measured after a warm-up round
and a reset); no process left behind (no child of `lab serve`, no detached child).
Run: `make bench` or `python -m benchmarks soak`; LAB_SOAK_SECONDS=20 for a quick check.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict

import psutil

from lab.offline.lambda_.processes import rss_kb, tree
from tests.fixtures.lambda_ import NO_RETRY, deploy

CLIENTS = 40
DURATION_S = float(os.environ.get("LAB_SOAK_SECONDS", "150"))
TOLERANCE = 0.10
WARM_S = min(15.0, DURATION_S / 4)  # each of two warm-up rounds before "idle" is measured
MARKER = f"soak-child-{uuid.uuid4().hex[:8]}"
HANDLER = f"""
import os, subprocess, sys, time

def handler(event, context):
    mode = event.get("mode")
    if mode == "crash":
        os._exit(1)
    if mode == "timeout":
        time.sleep(10)
    if mode == "spawn":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"],
                         start_new_session=True)
    return {{"ok": event.get("n")}}
"""
EXPECTED = {"crash": "Runtime.ExitError", "timeout": "Sandbox.Timedout"}


def _figures(pid: int) -> dict:
    proc = psutil.Process(pid)  # any OS (no /proc on macOS)
    return {"fds": proc.num_fds(), "threads": proc.num_threads(),
            "rss_mb": (rss_kb(pid) or 0) / 1024}


def _marked() -> int:
    count = 0
    for proc in psutil.process_iter(["cmdline"]):
        count += MARKER in (proc.info["cmdline"] or [])
    return count


class Soak:
    def __init__(self, cloud, queue_url: str, function: str):
        self.cloud, self.queue_url, self.function = cloud, queue_url, function
        self.ops: Counter = Counter()
        self.injected: Counter = Counter()
        self.errors: list[str] = []
        self.latency: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def client(self, until: float, seed: int) -> None:
        rng = random.Random(seed)
        sqs = self.cloud.client("sqs", config=NO_RETRY)
        lam = self.cloud.client("lambda", config=NO_RETRY)
        while time.monotonic() < until:
            op = rng.choices(["send", "receive", "invoke"], [4, 3, 3])[0]
            started = time.perf_counter()
            try:
                if op == "send":
                    sqs.send_message(QueueUrl=self.queue_url, MessageBody="m" * rng.randint(1, 2048))
                elif op == "receive":
                    got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=1).get("Messages", [])
                    if got:
                        sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(got)])
                else:
                    op = self._invoke(lam, rng)
            except Exception as exc:  # every error counts; none is expected
                with self._lock:
                    self.errors.append(f"{op}: {type(exc).__name__}: {exc}"[:300])
            with self._lock:
                self.ops[op] += 1
                self.latency[op].append(time.perf_counter() - started)

    def _invoke(self, lam, rng: random.Random) -> str:
        roll = rng.random()
        mode = ("crash" if roll < 0.07 else "timeout" if roll < 0.13 else
                "spawn" if roll < 0.20 else "ok")
        n = rng.randint(0, 10**6)
        resp = lam.invoke(FunctionName=self.function,
                          Payload=json.dumps({"mode": mode, "n": n}).encode())
        body = json.loads(resp["Payload"].read() or b"null")
        if mode in EXPECTED:
            with self._lock:
                self.injected[mode] += 1
            if resp.get("FunctionError") != "Unhandled" or body.get("errorType") != EXPECTED[mode]:
                raise AssertionError(f"{mode}: got {resp.get('FunctionError')} {body}")
        elif resp.get("FunctionError") or body != {"ok": n}:
            raise AssertionError(f"{mode}: got {resp.get('FunctionError')} {body}")
        elif mode == "spawn":
            with self._lock:
                self.injected[mode] += 1
        return f"invoke-{mode}"


def _setup(cloud) -> tuple[str, str]:
    queue = cloud.client("sqs").create_queue(QueueName=f"soak-{uuid.uuid4().hex[:6]}")
    function = deploy(cloud, HANDLER, Timeout=1, MemorySize=256)
    return queue["QueueUrl"], function


def _settle(cloud, pid: int) -> dict:
    """Reset (every environment ends), then let the endpoint come to rest."""
    cloud.reset()
    time.sleep(3)
    return _figures(pid)


def main() -> bool:
    from lab.targets import connect

    with connect("offline", fresh=True) as cloud:
        pid = cloud.pid
        print(f"sandbox: {cloud.lab.call('health', timeout=10)['sandbox']['mode']}; "
              f"{CLIENTS} clients for {DURATION_S:.0f} s")
        for _ in range(2):  # warm-up: every code path, the allocator's pools grown, reset
            warm = Soak(cloud, *_setup(cloud))
            threads = [threading.Thread(target=warm.client, args=(time.monotonic() + WARM_S, i))
                       for i in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            idle = _settle(cloud, pid)
        soak = Soak(cloud, *_setup(cloud))
        started = time.monotonic()
        threads = [threading.Thread(target=soak.client, args=(started + DURATION_S, 100 + i))
                   for i in range(CLIENTS)]
        peak: dict = {"fds": 0, "threads": 0, "rss_mb": 0.0}
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            now = _figures(pid)
            peak = {k: max(peak[k], now[k]) for k in peak}
            time.sleep(1)
        elapsed = time.monotonic() - started
        after = _settle(cloud, pid)
        left = [p for p in tree(pid) if p != pid]
        detached = _marked()

    total = sum(soak.ops.values())
    print(f"operations: {total} in {elapsed:.0f} s ({total / elapsed:.0f}/s): "
          + ", ".join(f"{k} {v}" for k, v in sorted(soak.ops.items())))
    print("injected: " + ", ".join(f"{k} {v}" for k, v in sorted(soak.injected.items())))
    for op, values in sorted(soak.latency.items()):
        values.sort()
        print(f"  {op}: p50 {statistics.median(values) * 1000:.1f} ms, "
              f"p99 {values[int(len(values) * 0.99) - 1] * 1000:.1f} ms")
    print(f"errors beyond the injected ones: {len(soak.errors)}")
    for line in soak.errors[:10]:
        print(f"  {line}")
    ok = not soak.errors
    for key in ("fds", "threads", "rss_mb"):
        allowed = idle[key] * (1 + TOLERANCE)
        if key != "rss_mb":
            allowed = idle[key] + max(1, math.ceil(idle[key] * TOLERANCE))
        within = after[key] <= allowed
        ok &= within
        print(f"{key}: idle {idle[key]:.0f}, peak {peak[key]:.0f}, after {after[key]:.0f} "
              f"({'within' if within else 'OVER'} 10% of idle)")
    print(f"processes left: {len(left)} children of lab serve, {detached} detached children")
    return ok and not left and not detached
