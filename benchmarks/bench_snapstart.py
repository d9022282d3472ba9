"""SnapStart restore (a MODEL: fork of an initialised template) vs an on-demand cold start.

Target: p50 client round trip of the first invoke of a restored environment of a function
that imports boto3 <= 0.3 x p50 of its on-demand cold start ($LATEST of the same function),
measured interleaved in the same run on the same machine.
"""

from __future__ import annotations

import statistics
import time

from lab.observe.logs import offline_invocations
from tests.fixtures.lambda_ import deploy, wait_until

TARGET = 0.3
N = 7
SOURCE = "import boto3\n\ndef handler(event, context):\n    return None\n"


def main() -> bool:
    from botocore.config import Config

    from lab.targets import connect

    with connect("offline", fresh=True) as cloud:
        lam = cloud.client("lambda", config=Config(retries={"max_attempts": 1},
                                                   read_timeout=120))
        cold, restored, init_ms, restore_ms = [], [], [], []
        for _ in range(N):
            name = deploy(cloud, SOURCE, SnapStart={"ApplyOn": "PublishedVersions"})
            started = time.perf_counter()
            lam.invoke(FunctionName=name, Payload=b"{}")  # $LATEST: an on-demand cold start
            cold.append(time.perf_counter() - started)
            version = lam.publish_version(FunctionName=name)["Version"]
            assert wait_until(lambda name=name: any(  # publishing takes the snapshot
                s["function"] == name and s["alive"] for s in cloud.lab.call(
                    "lambda/environments", timeout=10)["snapshots"]), 30)
            started = time.perf_counter()
            lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")  # restored
            restored.append(time.perf_counter() - started)
            records = offline_invocations(cloud, name)
            init_ms += [r["init_duration_ms"] for r in records if r.get("init_duration_ms")]
            restore_ms += [r["restore_duration_ms"] for r in records
                           if r.get("restore_duration_ms")]
        cold_p50, restored_p50 = statistics.median(cold), statistics.median(restored)
        ratio = restored_p50 / cold_p50
        print(f"on-demand cold start (imports boto3) p50 {cold_p50 * 1000:.1f} ms round trip "
              f"(Init Duration p50 {statistics.median(init_ms):.1f} ms)")
        print(f"SnapStart restore (MODEL: fork) p50 {restored_p50 * 1000:.1f} ms round trip "
              f"(Restore Duration p50 {statistics.median(restore_ms):.1f} ms)")
        print(f"ratio {ratio:.2f} (target <= {TARGET})")
        return ratio <= TARGET
