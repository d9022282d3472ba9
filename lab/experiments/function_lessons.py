"""Measurements for Part 2 (the function) that the other experiment modules do not make.

- `fork_vs_fresh`: the idea behind SOCK's zygotes and Lambda SnapStart, measured with
  local processes: how long until a handler is ready when a new process starts and imports
  its libraries, versus when an already-initialised parent forks a copy of itself.
- `keep_alive_sweep`: how the idle time between requests decides the cold-start rate,
  measured on offline Lambda with a short keep-alive.
- `worker_vs_function`: the same job as an always-running worker process and as a Lambda
  function: latency per job, and what each holds while idle.

Each returns a tidy DataFrame with the run metadata in `df.attrs` (see
`lab.experiments.metadata`). These are local processes on this machine, not microVMs on
AWS hardware: they show the *shape* of an effect, never AWS's numbers.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Sequence

import pandas as pd

from lab.experiments.metadata import progress, run_metadata, tidy

# -- fork from an initialised parent vs a fresh process --------------------------------------

#: A fresh "environment": start the interpreter, import, build the handler, say ready.
_FRESH = """
import importlib, sys, time
for name in sys.argv[2:]:
    importlib.import_module(name)
exec(sys.argv[1])  # init code, e.g. creating an SDK client at module scope
def handler(event, context):
    return {"ok": True}
handler({}, None)
sys.stdout.write("ready\\n"); sys.stdout.flush()
"""

#: A zygote: import once, then fork one child per line read on stdin. The child is the
#: "restored" environment: it finds every module already in memory (copy-on-write pages).
#: stdin at EOF (the parent closed it or died) ends the zygote.
_ZYGOTE = """
import importlib, os, sys, time
for name in sys.argv[2:]:
    importlib.import_module(name)
exec(sys.argv[1])  # init code, e.g. creating an SDK client at module scope
def handler(event, context):
    return {"ok": True}
out = sys.stdout.buffer
out.write(b"zygote ready\\n"); out.flush()
for line in sys.stdin.buffer:
    pid = os.fork()
    if pid == 0:
        handler({}, None)
        out.write(b"ready\\n"); out.flush()
        os._exit(0)
    os.waitpid(pid, 0)
"""

FORK_COLUMNS = {
    "method": "how the handler became ready: 'fresh process' (start + import) or "
              "'fork of initialised parent' (zygote / snapshot idea) or "
              "'parent initialisation (once)' (the zygote's own start, paid once)",
    "imports": "the modules imported before the handler is ready (comma-separated)",
    "repeat": "repetition number within the method (0-based)",
    "ready_ms": "time from asking for an environment to the handler being ready, ms",
}


def _python_argv(code: str, modules: Sequence[str], init_code: str) -> list[str]:
    return [sys.executable, "-c", code, init_code, *modules]


def _fresh_ready_ms(modules: Sequence[str], init_code: str = "") -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(_python_argv(_FRESH, modules, init_code), stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline()
        ready = time.perf_counter()
        if line.strip() != b"ready":
            raise RuntimeError(f"fresh process did not get ready (imports {list(modules)})")
    finally:
        proc.stdout.close()
        proc.wait(timeout=30)
    return (ready - started) * 1000


class Zygote:
    """A parent process that imported `modules` once and forks ready copies on request."""

    def __init__(self, modules: Sequence[str], init_code: str = ""):
        started = time.perf_counter()
        self.proc = subprocess.Popen(_python_argv(_ZYGOTE, modules, init_code), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        self.init_ms = (time.perf_counter() - started) * 1000
        if line.strip() != b"zygote ready":
            self.close()
            raise RuntimeError(f"zygote did not start (imports {list(modules)})")

    def fork_ready_ms(self) -> float:
        started = time.perf_counter()
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        ready = time.perf_counter()
        if line.strip() != b"ready":
            raise RuntimeError("forked child did not report ready")
        return (ready - started) * 1000

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()  # EOF: the zygote leaves its loop and exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


def fork_vs_fresh(*, imports: Sequence[str] = ("boto3",), init_code: str = "",
                  repeats: int = 15, seed: int = 0, target=None,
                  show_progress: bool = True) -> pd.DataFrame:
    """Time to a ready handler: fresh process (start + imports + `init_code`) vs fork of a
    parent that already did both. Runs are interleaved in a seeded random order so machine load
    hits both methods alike. One extra row records the parent's own start (paid once).
    """
    imports = list(imports)
    label = ",".join(imports) or "(none)"
    order = ["fresh process"] * repeats + ["fork of initialised parent"] * repeats
    random.Random(seed).shuffle(order)
    rows: list[dict] = []
    counts = {"fresh process": 0, "fork of initialised parent": 0}
    zygote = Zygote(imports, init_code)
    try:
        rows.append({"method": "parent initialisation (once)", "imports": label, "repeat": 0,
                     "ready_ms": zygote.init_ms})
        for method in progress(order, total=len(order), desc="fork vs fresh",
                               show=show_progress):
            ms = _fresh_ready_ms(imports, init_code) if method == "fresh process" else \
                zygote.fork_ready_ms()
            rows.append({"method": method, "imports": label, "repeat": counts[method],
                         "ready_ms": ms})
            counts[method] += 1
    finally:
        zygote.close()
    meta = run_metadata("fork_vs_fresh", target or _Local(),
                        {"imports": imports, "init_code": init_code, "repeats": repeats}, seed=seed,
                        columns=FORK_COLUMNS,
                        notes="local processes on this machine (fork + copy-on-write), a "
                              "model of snapshot restore, not Firecracker or SnapStart")
    return tidy(rows, FORK_COLUMNS, meta)


class _Local:
    """Stands in for a target when an experiment runs only local processes."""

    name = "offline"
    region = None
    endpoint_url = None


def summarize_fork_vs_fresh(df: pd.DataFrame) -> pd.DataFrame:
    """Median, p90 and count of ready_ms per method, and the speed-up of fork over fresh."""
    out = df.groupby("method", sort=False)["ready_ms"].agg(
        median_ms="median", p90_ms=lambda s: s.quantile(0.9), n="count")
    if {"fresh process", "fork of initialised parent"} <= set(out.index):
        out["speedup_vs_fresh"] = (out.loc["fresh process", "median_ms"] / out["median_ms"])
    out.attrs = dict(df.attrs)
    return out.reset_index()
