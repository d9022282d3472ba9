"""Offline Lambda overhead, against floors measured in the same run.

- Warm invoke: p50 client round trip of a no-op handler <= 1.5 x p50 of a trivial moto
  API call (GetFunctionConfiguration) through the same client and endpoint.
- Cold invoke of a handler that imports boto3: median client round trip <= 1.3 x the
  median wall time of `python -c "import awslambdaric.bootstrap, boto3"`.
- Idle `lab serve` RSS and per-environment RSS, printed.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import urllib.request

WARM_TARGET = 1.5
COLD_TARGET = 1.3
WARM_N = 300
COLD_N = 7


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


def _floor_cold_once() -> tuple[float, float]:
    """Wall time of the floor command, and the time until its imports are done (no exit)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "import awslambdaric.bootstrap, boto3; "
                             "print('imported', flush=True)"], stdout=subprocess.PIPE)
    proc.stdout.readline()
    imported = time.perf_counter() - started
    proc.wait()
    proc.stdout.close()
    return time.perf_counter() - started, imported


def deploy(cloud, source: str) -> str:
    """create_function (in-memory zip) with an ordinary boto3 call; returns the name."""
    import io
    import uuid
    import zipfile

    iam = cloud.client("iam")
    try:
        role = iam.create_role(RoleName="bench-lambda", AssumeRolePolicyDocument="{}")
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="bench-lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    cloud.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
        Handler="app.handler", Code={"ZipFile": buf.getvalue()})
    return name


def main() -> bool:
    from botocore.config import Config

    from lab.offline.process import ServeProcess
    from lab.targets import OfflineTarget

    process = ServeProcess()
    try:
        cloud = OfflineTarget(process.url)
        idle_rss = _rss_mb(process.pid)
        lam = cloud.client("lambda", config=Config(retries={"max_attempts": 1}))
        noop = deploy(cloud, "def handler(event, context):\n    return None\n")
        lam.invoke(FunctionName=noop, Payload=b"{}")  # cold start out of the way
        for _ in range(20):
            lam.invoke(FunctionName=noop, Payload=b"{}")
            lam.get_function_configuration(FunctionName=noop)
        warm, floor = [], []
        for _ in range(WARM_N):  # interleaved, so load changes hit both alike
            started = time.perf_counter()
            lam.invoke(FunctionName=noop, Payload=b"{}")
            warm.append(time.perf_counter() - started)
            started = time.perf_counter()
            lam.get_function_configuration(FunctionName=noop)
            floor.append(time.perf_counter() - started)
        warm_ratio = _p50(warm) / _p50(floor)
        print(f"warm invoke p50 {_p50(warm) * 1000:.2f} ms vs GetFunctionConfiguration p50 "
              f"{_p50(floor) * 1000:.2f} ms: ratio {warm_ratio:.2f} (target <= {WARM_TARGET})")

        source = "import boto3\n\ndef handler(event, context):\n    return None\n"
        cold, cold_floor, imports_done = [], [], []
        init_ms = []
        for _ in range(COLD_N):  # interleaved with the floor, as for the warm figures
            wall, imported = _floor_cold_once()
            cold_floor.append(wall)
            imports_done.append(imported)
            name = deploy(cloud, source)
            started = time.perf_counter()
            lam.invoke(FunctionName=name, Payload=b"{}")
            cold.append(time.perf_counter() - started)
            with urllib.request.urlopen(
                    f"{cloud.endpoint_url}/_lab/lambda/invocations?function={name}") as resp:
                init_ms.append(json.load(resp)["invocations"][0]["init_breakdown_ms"])
        cold_floor_s = _p50(cold_floor)
        cold_ratio = _p50(cold) / cold_floor_s
        print(f"cold invoke (imports boto3) median {_p50(cold) * 1000:.1f} ms vs "
              f"`python -c 'import awslambdaric.bootstrap, boto3'` median "
              f"{cold_floor_s * 1000:.1f} ms: ratio {cold_ratio:.2f} (target <= {COLD_TARGET})")
        print(f"  (the floor without interpreter exit, i.e. until its imports are done: "
              f"{_p50(imports_done) * 1000:.1f} ms; cold invoke / that = "
              f"{_p50(cold) / _p50(imports_done):.2f})")
        for key in ("interpreter_start_ms", "runtime_import_ms", "handler_import_and_init_ms",
                    "init_total_ms"):
            print(f"  INIT {key}: median {_p50([b[key] for b in init_ms]):.1f}")

        with urllib.request.urlopen(f"{cloud.endpoint_url}/_lab/lambda/environments") as resp:
            envs = json.load(resp)["environments"]
        by_fn = {}
        for env in envs:
            by_fn.setdefault("no-op" if env["function"] == noop else "imports boto3",
                             []).append(env["rss_kb"] / 1024)
        print(f"idle lab serve RSS: {idle_rss:.1f} MB at start, "
              f"{_rss_mb(process.pid):.1f} MB after the run")
        for label, values in by_fn.items():
            print(f"environment RSS ({label}): median {_p50(values):.1f} MB "
                  f"over {len(values)} environment(s)")
        return warm_ratio <= WARM_TARGET and cold_ratio <= COLD_TARGET
    finally:
        process.stop()
