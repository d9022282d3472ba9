"""SQS -> Lambda event source mapping overhead, against floors measured in the same run.

1. End-to-end latency SendMessage -> handler start at a light steady rate (window 0):
   target p50 <= 3x the p50 of one SendMessage call (boto3 -> `lab serve`, the floor).
2. Throughput of a no-op handler over 10,000 queued messages (BatchSize 10), and the time
   per message with 10,000 vs 100 queued: target <= 1.5x (the cost must not grow with
   depth). Both runs use 5 concurrent batches (ScalingConfig caps the scaling MODEL there)
   and warm environments, timed from the first invocation's start to the last one's end.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from benchmarks._stats import percentile
from tests.fixtures.common import wait_until
from tests.fixtures.esm import make_queue, run_backlog, wait_for_state
from tests.fixtures.lambda_ import deploy

LATENCY_TARGET = 3.0
DEPTH_TARGET = 1.5
LIGHT_RATE_GAP_S = 0.05  # one message every 50 ms
LATENCY_SAMPLES = 200

HANDLER = '''
import os, time
def handler(event, context):
    started = time.time()
    log = os.environ.get("BENCH_LOG")
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        lines = "".join(f"{r['body']} {started}\\n" for r in event["Records"])
        os.write(fd, lines.encode())
        os.close(fd)
    return None
'''


def _deploy(cloud, env: dict) -> str:
    return deploy(cloud, HANDLER, Timeout=10, Environment={"Variables": env})


def _queue(cloud) -> tuple[str, str]:
    url, arn, _ = make_queue(cloud, visibility=60)
    return url, arn


def latency(cloud) -> tuple[dict, bool]:
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    # Floor: one SendMessage on a queue nobody polls.
    floor_url, _ = _queue(cloud)
    sends = []
    for i in range(LATENCY_SAMPLES):
        t0 = time.perf_counter()
        sqs.send_message(QueueUrl=floor_url, MessageBody=f"floor-{i}")
        sends.append(time.perf_counter() - t0)
    send_p50 = statistics.median(sends) * 1000

    fd, log = tempfile.mkstemp(prefix="bench-esm-", suffix=".log")
    os.close(fd)
    fn = _deploy(cloud, {"BENCH_LOG": log})
    url, arn = _queue(cloud)
    uid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn,
                                          BatchSize=10)["UUID"]
    wait_for_state(cloud, uid, "Enabled")
    for i in range(10):  # warm the environments (cold starts are not the ESM's overhead)
        sqs.send_message(QueueUrl=url, MessageBody=f"warm-{i}")
    wait_until(lambda: sum(1 for _ in open(log)) >= 10, 60, what="10 warm-up records")
    sent_at = {}
    for i in range(LATENCY_SAMPLES):
        body = f"m-{i}"
        sent_at[body] = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=body)
        time.sleep(LIGHT_RATE_GAP_S)
    wait_until(lambda: sum(1 for _ in open(log)) >= 10 + LATENCY_SAMPLES, 60,
               what="every sample's record")
    started = {}
    with open(log) as fh:
        for line in fh:
            body, t = line.split()
            started[body] = float(t)
    os.unlink(log)
    e2e = [(started[b] - sent_at[b]) * 1000 for b in sent_at]
    p50, p99 = statistics.median(e2e), percentile(e2e, 0.99)
    ratio = p50 / send_p50
    ok = ratio <= LATENCY_TARGET
    print(f"SendMessage p50 (floor): {send_p50:.2f} ms over {LATENCY_SAMPLES} calls")
    print(f"SendMessage -> handler start, one message every {LIGHT_RATE_GAP_S * 1000:.0f} ms, "
          f"window 0: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"  p50 ratio to SendMessage p50: {ratio:.2f}x (target <= {LATENCY_TARGET}x) "
          f"{'OK' if ok else 'MISSED'}")
    return {"send_p50_ms": send_p50, "e2e_p50_ms": p50, "e2e_p99_ms": p99,
            "ratio": ratio}, ok


def drain(cloud, fn: str, depth: int) -> dict:
    url, arn = _queue(cloud)
    got = run_backlog(cloud, fn, url, arn, [str(n) for n in range(depth)], 600, interval=0.1,
                      BatchSize=10, ScalingConfig={"MaximumConcurrency": 5})
    cloud.client("lambda").delete_event_source_mapping(UUID=got["uuid"])
    invs = got["invocations"]
    span = max(i["t_end"] for i in invs) - min(i["t_start"] for i in invs)
    return {"depth": depth, "seconds": span, "per_message_ms": span / depth * 1000,
            "messages_per_s": depth / span, "invocations": len(invs),
            "batch_sizes": got["batch_sizes"]}


def throughput(cloud) -> tuple[dict, bool]:
    fn = _deploy(cloud, {})
    drain(cloud, fn, 100)  # warm 5 environments
    # 100 messages take ~10 ms: the floor is the median of 5 runs
    small = sorted((drain(cloud, fn, 100) for _ in range(5)),
                   key=lambda r: r["per_message_ms"])[2]
    large = drain(cloud, fn, 10_000)
    ratio = large["per_message_ms"] / small["per_message_ms"]
    ok = ratio <= DEPTH_TARGET
    for run in (small, large):
        print(f"no-op handler, {run['depth']:>6} queued, BatchSize 10, 5 concurrent batches: "
              f"{run['messages_per_s']:.0f} msg/s, {run['per_message_ms']:.3f} ms/message "
              f"({run['invocations']} invocations)")
    print("  (100 queued: median of 5 runs)")
    print(f"  time per message, 10,000 vs 100 queued: {ratio:.2f}x (target <= {DEPTH_TARGET}x)"
          f" {'OK' if ok else 'MISSED'}")
    return {"small": small, "large": large, "ratio": ratio}, ok


def main() -> bool:
    from lab.targets import connect

    with connect("offline", fresh=True) as cloud:
        _, ok_latency = latency(cloud)
        _, ok_depth = throughput(cloud)
    return ok_latency and ok_depth


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
