"""`lab serve` start-up: from spawning the process to its first health answer, against a
floor measured in the same run: a Python process that imports moto's server and answers
nothing (`python -c "import moto.server"`), the least any moto-based endpoint pays.

Target: median(lab serve ready) <= 2.0 s absolute on an idle 2-core machine, and
<= 2.5 x the floor (lab serve adds werkzeug, the lab's extensions, and a health answer).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5
TARGET_RATIO = 2.5
TARGET_S = 2.0


def _floor_s() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import moto.server"], check=True)
    return time.perf_counter() - started


def _ready_s() -> float:
    from lab.offline.process import ServeProcess

    started = time.perf_counter()
    process = ServeProcess()
    try:
        process_ready = time.perf_counter() - started
        import urllib.request

        with urllib.request.urlopen(f"{process.url}/_lab/health", timeout=10) as resp:
            assert resp.status == 200
        return max(process_ready, time.perf_counter() - started)
    finally:
        process.stop()


def main() -> bool:
    floors = [_floor_s() for _ in range(RUNS)]
    ready = [_ready_s() for _ in range(RUNS)]
    floor, lab = statistics.median(floors), statistics.median(ready)
    ratio = lab / floor
    print(f"import moto.server (floor): median {floor:.2f} s over {RUNS} runs")
    print(f"lab serve ready + health:   median {lab:.2f} s  ratio {ratio:.2f} "
          f"(target <= {TARGET_RATIO}; absolute target <= {TARGET_S} s)")
    return ratio <= TARGET_RATIO and lab <= TARGET_S
