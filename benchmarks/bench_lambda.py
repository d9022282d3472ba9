"""Offline Lambda overhead, against floors measured in the same run.

- Warm invoke: p50 client round trip of a no-op handler <= 1.5 x p50 of a trivial moto
  API call (GetFunctionConfiguration) through the same client and endpoint.
- Cold invoke of a handler that imports boto3: median client round trip <= 1.3 x the
  median wall time of `python -c "import awslambdaric.bootstrap, boto3"`.
- Idle `lab serve` RSS and per-environment RSS, printed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from lab.observe.logs import offline_invocations
from lab.offline.lambda_.processes import rss_kb
from tests.fixtures.lambda_ import deploy, environments

WARM_TARGET = 1.5
COLD_TARGET = 1.3
WARM_N = 300
COLD_N = 7


def _rss_mb(pid: int) -> float:
    kb = rss_kb(pid)
    return float("nan") if kb is None else kb / 1024


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


def main() -> bool:
    from botocore.config import Config

    from lab.targets import connect

    with connect("offline", fresh=True) as cloud:
        idle_rss = _rss_mb(cloud.pid)
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
        warm_p50, floor_p50 = statistics.median(warm), statistics.median(floor)
        warm_ratio = warm_p50 / floor_p50
        print(f"warm invoke p50 {warm_p50 * 1000:.2f} ms vs GetFunctionConfiguration p50 "
              f"{floor_p50 * 1000:.2f} ms: ratio {warm_ratio:.2f} (target <= {WARM_TARGET})")

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
            init_ms.append(offline_invocations(cloud, name)[0]["init_breakdown_ms"])
        cold_floor_s = statistics.median(cold_floor)
        cold_ratio = statistics.median(cold) / cold_floor_s
        print(f"cold invoke (imports boto3) median {statistics.median(cold) * 1000:.1f} ms vs "
              f"`python -c 'import awslambdaric.bootstrap, boto3'` median "
              f"{cold_floor_s * 1000:.1f} ms: ratio {cold_ratio:.2f} (target <= {COLD_TARGET})")
        print(f"  (the floor without interpreter exit, i.e. until its imports are done: "
              f"{statistics.median(imports_done) * 1000:.1f} ms; cold invoke / that = "
              f"{statistics.median(cold) / statistics.median(imports_done):.2f})")
        for key in ("interpreter_start_ms", "runtime_import_ms", "handler_import_and_init_ms",
                    "init_total_ms"):
            print(f"  INIT {key}: median {statistics.median([b[key] for b in init_ms]):.1f}")

        by_fn = {}
        for env in environments(cloud):
            by_fn.setdefault("no-op" if env["function"] == noop else "imports boto3",
                             []).append(env["rss_kb"] / 1024)
        print(f"idle lab serve RSS: {idle_rss:.1f} MB at start, "
              f"{_rss_mb(cloud.pid):.1f} MB after the run")
        for label, values in by_fn.items():
            print(f"environment RSS ({label}): median {statistics.median(values):.1f} MB "
                  f"over {len(values)} environment(s)")
        return warm_ratio <= WARM_TARGET and cold_ratio <= COLD_TARGET
