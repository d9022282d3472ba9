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

import json
import random
import subprocess
import sys
import time
from collections.abc import Sequence

import pandas as pd
import psutil

from lab.experiments.metadata import LOCAL_MACHINE, progress, run_metadata, tidy
from lab.observe import logs
from lab.targets import require_offline

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


class _LineChild:
    """A child process driven line by line over stdin/stdout; closing stdin ends it."""

    proc: subprocess.Popen

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()  # EOF: the child leaves its loop and exits
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


class Zygote(_LineChild):
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
    meta = run_metadata("fork_vs_fresh", target or LOCAL_MACHINE,
                        {"imports": imports, "init_code": init_code, "repeats": repeats}, seed=seed,
                        columns=FORK_COLUMNS,
                        notes="local processes on this machine (fork + copy-on-write), a "
                              "model of snapshot restore, not Firecracker or SnapStart")
    return tidy(rows, FORK_COLUMNS, meta)


def summarize_fork_vs_fresh(df: pd.DataFrame) -> pd.DataFrame:
    """Median, p90 and count of ready_ms per method, and the speed-up of fork over fresh."""
    out = df.groupby("method", sort=False)["ready_ms"].agg(
        median_ms="median", p90_ms=lambda s: s.quantile(0.9), n="count")
    if {"fresh process", "fork of initialised parent"} <= set(out.index):
        out["speedup_vs_fresh"] = (out.loc["fresh process", "median_ms"] / out["median_ms"])
    out.attrs = dict(df.attrs)
    return out.reset_index()


# -- the same job: an always-running worker vs a function ------------------------------------

#: The worker: load the handler module once (from its file, as Lambda does, without the
#: lab package), then serve one job per stdin line until stdin closes.
_WORKER = """
import importlib.util, json, sys, types, uuid
spec = importlib.util.spec_from_file_location("handler_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
out = sys.stdout
out.write("worker ready\\n"); out.flush()
for line in sys.stdin:
    event = json.loads(line)
    context = types.SimpleNamespace(aws_request_id=uuid.uuid4().hex, function_name="worker",
                                    memory_limit_in_mb=0,
                                    get_remaining_time_in_millis=lambda: 0)
    out.write(json.dumps(module.handler(event, context)) + "\\n"); out.flush()
"""

WORKER_COLUMNS = {
    "approach": "'always-running worker' (one process, started before the first job) or "
                "'function' (one Lambda Invoke per job)",
    "job": "job number (0-based), same jobs in the same order for both approaches",
    "latency_ms": "time from submitting the job to having its result, as the caller sees it, ms",
    "work_ms": "time the handler spent on the job itself (inside the process), ms",
    "new_environment": "True when the job ran in a process no earlier job of this approach "
                       "used (a cold start for the function)",
    "environment_id": "id of the process that ran the job (set once per process at INIT)",
}


class Worker(_LineChild):
    """An always-running worker process serving jobs with `lab.functions.<module>.handler`."""

    def __init__(self, module: str):
        from importlib import resources

        path = str(resources.files("lab.functions").joinpath(f"{module}.py"))
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "worker ready":
            self.close()
            raise RuntimeError(f"worker for lab.functions.{module} did not start")
        self.start_ms = (time.perf_counter() - started) * 1000

    def run(self, event: dict) -> dict:
        self.proc.stdin.write(json.dumps(event) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("worker exited")
        return json.loads(line)

    def footprint(self) -> dict:
        """Memory the worker holds (kB) and CPU it has used (s)."""
        return _footprint(self.proc.pid)


def _footprint(pid: int) -> dict:
    """Resident memory (kB) and CPU time (user + system, s) of a process, through psutil
    (any OS); None for a process that is gone."""
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            rss = proc.memory_info().rss
            cpu = proc.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return {"rss_kb": None, "cpu_s": None}
    return {"rss_kb": rss // 1024, "cpu_s": cpu.user + cpu.system}


def worker_vs_function(target, *, jobs: int = 20, size_bytes: int = 65536, rounds: int = 4,
                       interval_s: float = 0.05, idle_s: float = 2.0, memory_size: int = 128,
                       seed: int = 0, module: str = "checksum", name: str = "worker-vs-fn",
                       show_progress: bool = True) -> pd.DataFrame:
    """Run the same `jobs` through an always-running worker and through a Lambda function
    (deployed on `target`, deleted at the end), alternating job by job so machine load
    hits both alike. Returns one row per job and approach (WORKER_COLUMNS).

    `df.attrs["idle"]` records what each approach held during `idle_s` of no work: the
    worker's resident memory and CPU time (measured), and the function's billed time
    while idle (zero: Lambda bills invocations, not idle environments).
    `df.attrs["billed"]` summarises the function's REPORT lines (billed and measured
    durations, memory), read before the function and its log group are deleted.
    """
    from lab.experiments.metadata import experiment_stack

    rng = random.Random(seed)
    events = [{"job": i, "size_bytes": size_bytes, "rounds": rounds,
               "salt": rng.randrange(1 << 30)} for i in range(jobs)]
    rows: list[dict] = []
    idle: dict = {}
    billed: dict = {}
    worker = Worker(module)
    try:
        with experiment_stack(target, name) as stack:
            role = stack.role("fn-role", "lambda.amazonaws.com")
            fn = stack.function("job", module, role_arn=role, memory_size=memory_size,
                                timeout=10)
            lam = stack.client("lambda")
            seen: dict[str, set] = {"always-running worker": set(), "function": set()}
            for event in progress(events, total=jobs, desc="worker vs function",
                                  show=show_progress):
                for approach in ("always-running worker", "function"):
                    started = time.perf_counter()
                    if approach == "function":
                        resp = lam.invoke(FunctionName=fn.name, Payload=json.dumps(event))
                        result = json.loads(resp["Payload"].read())
                        if resp.get("FunctionError"):
                            raise RuntimeError(f"function failed: {result}")
                    else:
                        result = worker.run(event)
                    latency = (time.perf_counter() - started) * 1000
                    env = result["environment_id"]
                    rows.append({"approach": approach, "job": event["job"],
                                 "latency_ms": latency, "work_ms": result["work_ms"],
                                 "new_environment": env not in seen[approach],
                                 "environment_id": env})
                    seen[approach].add(env)
                if interval_s:
                    time.sleep(interval_s)
            before = worker.footprint()
            time.sleep(idle_s)
            after = worker.footprint()
            idle = {"idle_s": idle_s, "worker_rss_kb": after["rss_kb"],
                    "worker_cpu_s_while_idle": (after["cpu_s"] or 0) - (before["cpu_s"] or 0),
                    "worker_start_ms": worker.start_ms,
                    "function_billed_ms_while_idle": 0.0,
                    "function_memory_size_mb": memory_size}
            billed = _billed_summary(logs.reports(target, fn.name, expect=jobs))
    finally:
        worker.close()
    meta = run_metadata("worker_vs_function", target,
                        {"jobs": jobs, "size_bytes": size_bytes, "rounds": rounds,
                         "interval_s": interval_s, "idle_s": idle_s,
                         "memory_size": memory_size, "module": module}, seed=seed,
                        columns=WORKER_COLUMNS,
                        notes="worker = a local process fed over a pipe; function = Lambda "
                              "Invoke through the target's API")
    df = tidy(rows, WORKER_COLUMNS, meta)
    df.attrs["idle"] = idle
    df.attrs["billed"] = billed
    return df


def _billed_summary(reports: pd.DataFrame) -> dict:
    warm, cold = reports[~reports["cold"]], reports[reports["cold"]]

    def median(frame, column):
        return float(frame[column].astype(float).median()) if len(frame) else None

    return {"invocations": int(len(reports)), "cold_starts": int(len(cold)),
            "billed_ms_median_warm": median(warm, "billed_duration_ms"),
            "billed_ms_median_cold": median(cold, "billed_duration_ms"),
            "duration_ms_median_warm": median(warm, "duration_ms"),
            "init_duration_ms_median": median(cold, "init_duration_ms"),
            "max_memory_used_mb": int(reports["max_memory_used_mb"].max())
            if len(reports) else None}


# -- keep-alive: idle time between requests vs cold starts ------------------------------------

KEEP_ALIVE_COLUMNS = {
    "gap_s": "idle time before the invocation (since the previous one returned), s",
    "repeat": "repetition number for this gap (0-based)",
    "cold": "True when the invocation found no warm environment (a new one ran INIT)",
    "latency_ms": "Invoke round trip as the caller sees it, ms",
    "keep_alive_s": "how long the offline endpoint keeps an idle environment, s",
}


def lambda_config(target, **values) -> dict:
    """Read (no arguments) or change the offline Lambda's settings (/_lab/lambda/config)."""
    require_offline(target, "lab Lambda settings",
                    "Lambda decides how long idle environments live")
    return target.lab.lambda_config(**values)


def keep_alive_sweep(target, *, keep_alive_s: float = 0.5,
                     gaps_s: Sequence[float] = (0.1, 0.3, 0.7, 1.2, 1.8), repeats: int = 4,
                     seed: int = 0, module: str = "checksum", name: str = "keep-alive",
                     show_progress: bool = True) -> pd.DataFrame:
    """Invoke one function after each idle gap in `gaps_s` (`repeats` times each, in a
    seeded random order) with the offline keep-alive set to `keep_alive_s`; record whether
    each invocation was a cold start. Offline only (on AWS the keep-alive is AWS's choice).

    The offline endpoint looks for expired idle environments twice a second, so an
    environment lives between `keep_alive_s` and `keep_alive_s + 0.5` s after its last use.
    """
    from lab.experiments.metadata import experiment_stack

    plan = [(g, r) for g in gaps_s for r in range(repeats)]
    random.Random(seed).shuffle(plan)
    previous = lambda_config(target)["keep_alive_s"]
    rows: list[dict] = []
    try:
        lambda_config(target, keep_alive_s=keep_alive_s)
        with experiment_stack(target, name) as stack:
            role = stack.role("fn-role", "lambda.amazonaws.com")
            fn = stack.function("fn", module, role_arn=role, timeout=10)
            lam = stack.client("lambda")

            def invoke() -> tuple[str, float]:
                started = time.perf_counter()
                resp = lam.invoke(FunctionName=fn.name, Payload=b'{"rounds": 1}')
                body = json.loads(resp["Payload"].read())
                return body["environment_id"], (time.perf_counter() - started) * 1000

            last_env, _ = invoke()  # the first environment: cold by definition, not counted
            for gap, repeat in progress(plan, total=len(plan), desc="keep-alive sweep",
                                        show=show_progress):
                time.sleep(gap)
                env, latency = invoke()
                rows.append({"gap_s": gap, "repeat": repeat, "cold": env != last_env,
                             "latency_ms": latency, "keep_alive_s": keep_alive_s})
                last_env = env
    finally:
        lambda_config(target, keep_alive_s=previous)
    meta = run_metadata("keep_alive_sweep", target,
                        {"keep_alive_s": keep_alive_s, "gaps_s": list(gaps_s),
                         "repeats": repeats, "module": module, "sweep_period_s": 0.5},
                        seed=seed, columns=KEEP_ALIVE_COLUMNS,
                        notes="offline keep-alive is a setting of lab serve; AWS does not "
                              "document how long idle environments live")
    return tidy(rows, KEEP_ALIVE_COLUMNS, meta)


def cold_fraction_poisson(mean_gap_s, keep_alive_s):
    """Model: with Poisson arrivals (exponential gaps, mean `mean_gap_s`) and one
    environment kept `keep_alive_s` after each use, a request is a cold start when the gap
    before it exceeds the keep-alive: P = exp(-keep_alive / mean_gap)."""
    import numpy as np

    return np.exp(-np.asarray(keep_alive_s, float) / np.asarray(mean_gap_s, float))
