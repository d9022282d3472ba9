"""SQS -> Lambda event source mapping overhead, against floors measured in the same run.

1. End-to-end latency SendMessage -> handler start at a light steady rate (window 0):
   target p50 <= 3x the p50 of one SendMessage call (boto3 -> `lab serve`, the floor).
2. Throughput of a no-op handler over 10,000 queued messages (BatchSize 10), and the time
   per message with 10,000 vs 100 queued: target <= 1.5x (the cost must not grow with
   depth). Both runs use 5 concurrent batches (ScalingConfig caps the scaling MODEL there)
   and warm environments, timed from the first invocation's start to the last one's end.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import tempfile
import time
import uuid
import zipfile

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
    iam, lam = cloud.client("iam"), cloud.client("lambda")
    name = f"bench-esm-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", HANDLER)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="handler.handler", Code={"ZipFile": buf.getvalue()},
                        Timeout=10, Environment={"Variables": env})
    return name


def _queue(cloud) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}",
                           Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def _wait(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        time.sleep(interval)


def _state(lam, uid: str, state: str) -> None:
    _wait(lambda: lam.get_event_source_mapping(UUID=uid)["State"] == state, 30)


def _stats(cloud, uid: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"{cloud.endpoint_url}/_lab/esm/stats?uuid={uid}",
                                timeout=30) as resp:
        return json.load(resp)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


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
    _state(lam, uid, "Enabled")
    for i in range(10):  # warm the environments (cold starts are not the ESM's overhead)
        sqs.send_message(QueueUrl=url, MessageBody=f"warm-{i}")
    _wait(lambda: sum(1 for _ in open(log)) >= 10, 60)
    sent_at = {}
    for i in range(LATENCY_SAMPLES):
        body = f"m-{i}"
        sent_at[body] = time.time()
        sqs.send_message(QueueUrl=url, MessageBody=body)
        time.sleep(LIGHT_RATE_GAP_S)
    _wait(lambda: sum(1 for _ in open(log)) >= 10 + LATENCY_SAMPLES, 60)
    started = {}
    with open(log) as fh:
        for line in fh:
            body, t = line.split()
            started[body] = float(t)
    os.unlink(log)
    e2e = [(started[b] - sent_at[b]) * 1000 for b in sent_at]
    p50, p99 = statistics.median(e2e), _pct(e2e, 0.99)
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
    sqs, lam = cloud.client("sqs"), cloud.client("lambda")
    url, arn = _queue(cloud)
    uid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, BatchSize=10,
                                          Enabled=False,
                                          ScalingConfig={"MaximumConcurrency": 5})["UUID"]
    for start in range(0, depth, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": f"{start + n}"} for n in range(10)])
    _state(lam, uid, "Disabled")
    lam.update_event_source_mapping(UUID=uid, Enabled=True)

    def done():
        return _stats(cloud, uid)["counters"].get("messages_deleted", 0) >= depth
    _wait(done, 600, interval=0.1)
    got = _stats(cloud, uid)
    lam.delete_event_source_mapping(UUID=uid)
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
