"""SQS per-call cost against queue depth: 100 vs 10,000 messages queued.

Target: with the lab's SQS layer (lab/offline/sqs), the p50 of SendMessage,
ReceiveMessage and DeleteMessage with 10,000 messages queued is <= 1.5x the p50 with 100
queued (the floor, measured in the same run). Measured twice: on moto's backend
in-process (what the event source mapping pollers call) and over HTTP through `lab serve`
(what boto3 clients see). moto 5.2.5 without the layer is measured alongside, in a
separate process, so the difference is visible.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEPTHS = (100, 10_000)
TARGET_RATIO = 1.5
ACCOUNT, REGION = "123456789012", "us-east-1"


def _fill(backend, name: str, depth: int, patched: bool) -> None:
    if patched:
        for i in range(depth):
            backend.send_message(name, f"fill-{i}")
        return
    # moto alone: append directly (filling 10,000 through its O(n) send takes minutes)
    from moto.sqs.models import Message

    queue = backend.get_queue(name)
    for i in range(depth):
        message = Message(f"fill-{i}", f"fill-{i}")
        message.mark_sent()
        queue._messages.append(message)


def _measure(send, receive, delete, samples: int) -> dict:
    times = {"send": [], "receive": [], "delete": []}
    for i in range(samples):
        t0 = time.perf_counter()
        send(f"probe-{i}")
        t1 = time.perf_counter()
        handle = receive()
        t2 = time.perf_counter()
        delete(handle)
        t3 = time.perf_counter()
        times["send"].append(t1 - t0)
        times["receive"].append(t2 - t1)
        times["delete"].append(t3 - t2)
    return {op: statistics.median(v) * 1000 for op, v in times.items()}


def worker(mode: str) -> None:
    """Print {depth: {op: p50 ms}} for one mode: patched / unpatched (in-process backend)
    or http (boto3 against an in-thread lab serve)."""
    from lab.offline.moto_setup import configure_moto

    configure_moto()
    from moto.sqs.models import sqs_backends

    results = {}
    server = None
    if mode == "http":
        from lab.offline.server import LabServer
        from lab.targets import OfflineTarget

        server = LabServer(port=0, extensions=["lab.offline.sqs"])
        server.start()
        client = OfflineTarget(server.url).client("sqs")
    elif mode == "patched":
        from lab.offline.sqs.models import register

        register()
    backend = sqs_backends[ACCOUNT][REGION]
    try:
        for depth in DEPTHS:
            name = f"bench-{mode}-{depth}"
            backend.create_queue(name)
            _fill(backend, name, depth, mode != "unpatched")
            samples = 15 if (mode == "unpatched" and depth > 1000) else 200
            if mode == "http":
                url = client.get_queue_url(QueueName=name)["QueueUrl"]
                results[depth] = _measure(
                    lambda body, u=url: client.send_message(QueueUrl=u, MessageBody=body),
                    lambda u=url: client.receive_message(QueueUrl=u)["Messages"][0][
                        "ReceiptHandle"],
                    lambda h, u=url: client.delete_message(QueueUrl=u, ReceiptHandle=h),
                    samples)
            else:
                results[depth] = _measure(
                    lambda body, n=name: backend.send_message(n, body),
                    lambda n=name: backend.receive_message(n, 1, 0, 30)[0].receipt_handle,
                    lambda h, n=name: backend.delete_message(n, h),
                    samples)
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(results))


def _run(mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", f"from benchmarks.bench_sqs import worker; worker({mode!r})"],
        capture_output=True, text=True, timeout=900, cwd=Path(__file__).resolve().parent.parent)
    if out.returncode != 0:
        raise RuntimeError(f"bench_sqs worker {mode} failed:\n{out.stderr[-2000:]}")
    return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main() -> bool:
    ok = True
    small, large = DEPTHS
    print(f"p50 per call (ms) with {small:,} and {large:,} messages queued; "
          f"ratio = {large:,} / {small:,} (target <= {TARGET_RATIO}x for the lab)")
    for mode, label, checked in (
            ("patched", "lab, moto backend in-process", True),
            ("http", "lab, boto3 over HTTP", True),
            ("unpatched", "moto 5.2.5 alone, in-process", False)):
        figures = _run(mode)
        for op in ("send", "receive", "delete"):
            a, b = figures[small][op], figures[large][op]
            ratio = b / a
            verdict = ("ok" if ratio <= TARGET_RATIO else "MISSED") if checked else "reference"
            print(f"  {label:32s} {op:8s} {a:8.3f} ms -> {b:8.3f} ms  ratio {ratio:6.2f}x  "
                  f"{verdict}")
            if checked and ratio > TARGET_RATIO:
                ok = False
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
