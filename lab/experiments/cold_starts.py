"""Cold starts: INIT vs INVOKE per invocation, forced cold starts, the INIT breakdown,
import cost per package, and concurrency bursts.

Sources, per target:
- both: the function's REPORT lines in CloudWatch Logs (`Init Duration` on cold starts,
  `Duration`, `Max Memory Used`), the client's own round trip, and what the `coldstart` /
  `recorder` handlers measure inside the environment (imports, init code);
- offline only: the endpoint's per-invocation INIT breakdown (process start, runtime
  import, handler import + init code) from `GET /_lab/lambda/invocations`. On AWS the
  REPORT line's Init Duration is not broken down; the handler's own timings are.
- this machine: `python -X importtime` per package (no target involved).

Forcing a cold start the lambda-perf way: change an environment variable
(`update_function_configuration`), wait for the update, invoke. Lambda (and the offline
endpoint) retire environments of the old configuration, so the next invoke runs INIT.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from lab.experiments.metadata import (
    LOCAL_MACHINE,
    experiment_stack,
    progress_bar,
    run_metadata,
    tidy,
)
from lab.observe import logs
from lab.stack.coldstart import retire_environments

LAMBDA_TRUST = "lambda.amazonaws.com"

# -- import cost (this machine) -------------------------------------------------------------
IMPORT_COLUMNS = {
    "package": "top-level module imported (import <package>)",
    "repeat": "repeat number (fresh interpreter each time; count, from 0)",
    "import_ms": "cumulative import time of the package, from -X importtime (ms)",
    "self_ms": "the package module's own import time, without its imports (ms)",
    "modules": "modules the import loaded, the package included (count)",
    "process_ms": "wall time of the whole `python -c 'import <package>'` process (ms)",
}
_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


def parse_importtime(stderr: str) -> pd.DataFrame:
    """`python -X importtime` output -> one row per module: module, depth, self_us,
    cumulative_us (microseconds), in the order Python printed them."""
    rows = []
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            rows.append({"module": m.group(4), "depth": (len(m.group(3)) - 1) // 2,
                         "self_us": int(m.group(1)), "cumulative_us": int(m.group(2))})
    return pd.DataFrame(rows, columns=["module", "depth", "self_us", "cumulative_us"])


def package_import_cost(table: pd.DataFrame, package: str, baseline: set[str]) -> dict:
    """Cost of `import package` from a parsed importtime table, ignoring the modules the
    bare interpreter loads anyway (`baseline`)."""
    top = table[(table["module"] == package) & (table["depth"] == 0)]
    if top.empty:
        raise ValueError(f"{package} not in the -X importtime output (already imported "
                         "at interpreter start, or the import failed)")
    row = top.iloc[-1]
    loaded = table.loc[: top.index[-1]]
    new = loaded[~loaded["module"].isin(baseline)]
    return {"import_ms": row["cumulative_us"] / 1e3, "self_ms": row["self_us"] / 1e3,
            "modules": int(new["module"].nunique())}


def _importtime(python: str, code: str) -> tuple[str, float]:
    start = time.perf_counter()
    proc = subprocess.run([python, "-X", "importtime", "-c", code], capture_output=True,
                          text=True, timeout=120, check=False)
    wall = (time.perf_counter() - start) * 1e3
    if proc.returncode != 0:
        raise RuntimeError(f"{code!r} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stderr, wall


def import_costs(packages: tuple[str, ...] = ("json", "boto3"), *, repeats: int = 3,
                 python: str | None = None, target=None, show_progress: bool = True
                 ) -> pd.DataFrame:
    """Import cost per package on this machine: each repeat runs a fresh interpreter with
    `-X importtime`. Compare with SOCK's ~100 ms for popular libraries
    (`lab.results.data.load_reference("sock_import")`). The first repeat may include disk reads
    the OS caches for later ones. A `pass` row gives the bare interpreter's process time.
    """
    python = python or sys.executable
    meta = run_metadata("import_costs", target or LOCAL_MACHINE, dict(
        packages=list(packages), repeats=repeats, python=python), seed=None,
        columns=IMPORT_COLUMNS, notes="measured on this machine with this interpreter, "
                                      "not inside Lambda")
    base_err, _ = _importtime(python, "pass")
    baseline = set(parse_importtime(base_err)["module"])
    rows = []
    bar = progress_bar(repeats * (len(packages) + 1), "imports", show_progress)
    try:
        for rep in range(repeats):
            _, wall = _importtime(python, "pass")
            rows.append({"package": "(pass)", "repeat": rep, "import_ms": 0.0, "self_ms": 0.0,
                         "modules": 0, "process_ms": wall})
            bar.update(1)
            for pkg in packages:
                err, wall = _importtime(python, f"import {pkg}")
                cost = package_import_cost(parse_importtime(err), pkg, baseline)
                rows.append({"package": pkg, "repeat": rep, **cost, "process_ms": wall})
                bar.update(1)
    finally:
        bar.close()
    return tidy(rows, IMPORT_COLUMNS, meta)


# -- cold vs warm (Lambda) ------------------------------------------------------------------
INVOKE_COLUMNS = {
    "invocation": "sequence number of the invocation in the run (count, from 0)",
    "round": "forced-cold round this invocation belongs to (count, from 0)",
    "start": "cold (REPORT has Init Duration) or warm",
    "request_id": "Lambda request id",
    "client_ms": "client round trip of the Invoke call (ms)",
    "init_ms": "REPORT Init Duration (ms; empty when warm)",
    "duration_ms": "REPORT Duration: the INVOKE phase (ms)",
    "billed_ms": "REPORT Billed Duration (ms)",
    "max_memory_mb": "REPORT Max Memory Used (MB)",
    "imports_ms": "handler-measured import time of LAB_IMPORTS at INIT (ms)",
    "init_code_ms": "handler-measured init code time at INIT (ms)",
    "environment": "execution environment (log stream name; one per environment)",
}


def _deploy(stack, module: str, *, memory_size: int, timeout: int, environment: dict):
    role = stack.role("fn-role", LAMBDA_TRUST)  # the builders add scoped policies on AWS
    return stack.function("fn", module, role_arn=role, timeout=timeout,
                          memory_size=memory_size, environment=environment)


def _invoke(lam, name: str, payload: dict) -> tuple[dict, float]:
    start = time.perf_counter()
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    ms = (time.perf_counter() - start) * 1e3
    body = json.loads(resp["Payload"].read() or b"null")
    if resp.get("FunctionError"):
        raise RuntimeError(f"{name} failed: {body}")
    return body, ms


def _force_cold(stack, fn, environment: dict, round_: int) -> None:
    """lambda-perf's trick: a new environment variable value retires warm environments."""
    retire_environments(stack.client("lambda"), fn.name, variables=environment,
                        marker=f"{round_}-{time.time_ns()}", waiter_delay=stack.waiter_delay)


def _join_reports(rows: list[dict], reports: pd.DataFrame) -> None:
    by_id = logs.reports_by_id(reports)
    for row in rows:
        rep = by_id.get(row["request_id"], {})
        row.update(init_ms=rep.get("init_duration_ms"),
                   duration_ms=rep.get("duration_ms"),
                   billed_ms=rep.get("billed_duration_ms"),
                   max_memory_mb=rep.get("max_memory_used_mb"),
                   environment=rep.get("log_stream") or rep.get("environment_id"),
                   start=rep.get("start", "warm"))


def _reports_for(target, fn, rows: list[dict], started_ms: int, timeout_s: float):
    return logs.reports(target, fn.name, start_ms=started_ms, timeout_s=timeout_s,
                               request_ids=[r["request_id"] for r in rows])


def cold_vs_warm(target, *, rounds: int = 3, warm_per_round: int = 3, memory_size: int = 128,
                 imports: tuple[str, ...] = ("boto3",), init_work_ms: float = 0.0,
                 timeout_s: float = 60.0, seed: int | None = None, show_progress: bool = True,
                 stack_name: str = "coldwarm") -> pd.DataFrame:
    """`rounds` forced cold starts, each followed by `warm_per_round` warm invokes of the
    `coldstart` handler (which imports `imports` at INIT). One row per invocation."""
    environment = {"LAB_IMPORTS": ",".join(imports), "LAB_INIT_WORK_MS": str(init_work_ms)}
    params = dict(rounds=rounds, warm_per_round=warm_per_round, memory_size=memory_size,
                  imports=list(imports), init_work_ms=init_work_ms, handler="coldstart")
    meta = run_metadata("cold_vs_warm", target, params, seed=seed, columns=INVOKE_COLUMNS)
    rows: list[dict] = []
    bar = progress_bar(rounds * (1 + warm_per_round), "invocations", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            fn = _deploy(stack, "coldstart", memory_size=memory_size, timeout=30,
                         environment=environment)
            lam = stack.client("lambda")
            started_ms = int(time.time() * 1000) - 1000
            for round_ in range(rounds):
                if round_:
                    _force_cold(stack, fn, environment, round_)
                for _ in range(1 + warm_per_round):
                    body, ms = _invoke(lam, fn.name, {})
                    rows.append({"invocation": len(rows), "round": round_,
                                 "request_id": body["request_id"], "client_ms": ms,
                                 "imports_ms": body["imports_ms"],
                                 "init_code_ms": body["init_code_ms"]})
                    bar.update(1)
            _join_reports(rows, _reports_for(target, fn, rows, started_ms, timeout_s))
    finally:
        bar.close()
    return tidy(rows, INVOKE_COLUMNS, meta)


# -- INIT breakdown -------------------------------------------------------------------------
BREAKDOWN_COLUMNS = {
    "invocation": "cold invocation number (count, from 0)",
    "imports": "packages the handler imports at INIT",
    "request_id": "Lambda request id",
    "init_ms": "REPORT Init Duration (ms)",
    "process_start_ms": "OFFLINE: process start to interpreter ready (ms)",
    "runtime_import_ms": "OFFLINE: runtime client (awslambdaric) import and start (ms)",
    "handler_imports_ms": "handler-measured import of its packages (ms)",
    "init_code_ms": "handler-measured init code (ms)",
    "other_ms": "rest of INIT: handler module load and runtime work not measured above (ms)",
}


def init_breakdown(target, *, imports_sets: tuple[tuple[str, ...], ...] = ((), ("boto3",)),
                   cold_per_set: int = 2, init_work_ms: float = 0.0, timeout_s: float = 60.0,
                   show_progress: bool = True, stack_name: str = "initbd") -> pd.DataFrame:
    """Forced cold starts of the `coldstart` handler for each set of imports; INIT split
    into phases. Offline the endpoint measures process start and runtime import; on AWS
    those two columns are empty and `other_ms` holds everything the handler cannot see."""
    params = dict(imports_sets=[list(s) for s in imports_sets], cold_per_set=cold_per_set,
                  init_work_ms=init_work_ms, handler="coldstart")
    meta = run_metadata("init_breakdown", target, params, seed=None, columns=BREAKDOWN_COLUMNS,
                        notes=None if target.is_offline else
                        "AWS: Init Duration is not broken down; process/runtime phases empty")
    rows: list[dict] = []
    bar = progress_bar(len(imports_sets) * cold_per_set, "cold starts", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            started_ms = int(time.time() * 1000) - 1000
            lam = stack.client("lambda")
            fn = None
            for imports in imports_sets:
                environment = {"LAB_IMPORTS": ",".join(imports),
                               "LAB_INIT_WORK_MS": str(init_work_ms)}
                for k in range(cold_per_set):
                    if fn is None:
                        fn = _deploy(stack, "coldstart", memory_size=256, timeout=30,
                                     environment=environment)
                    else:
                        _force_cold(stack, fn, environment, len(rows) + k)
                    body, _ = _invoke(lam, fn.name, {})
                    rows.append({"invocation": len(rows), "imports": ",".join(imports) or "(none)",
                                 "request_id": body["request_id"],
                                 "handler_imports_ms": body["imports_ms"],
                                 "init_code_ms": body["init_code_ms"]})
                    bar.update(1)
            reps = logs.reports_by_id(_reports_for(target, fn, rows, started_ms,
                                                          timeout_s))
            offline = {}
            if target.is_offline:
                offline = {r["request_id"]: r.get("init_breakdown_ms") or {}
                           for r in logs.offline_invocations(target, fn.name)}
            for row in rows:
                init = reps.get(row["request_id"], {}).get("init_duration_ms")
                bd = offline.get(row["request_id"], {})
                row["init_ms"] = init
                row["process_start_ms"] = bd.get("interpreter_start_ms")
                row["runtime_import_ms"] = bd.get("runtime_import_ms")
                known = sum(v or 0.0 for v in (row["process_start_ms"], row["runtime_import_ms"],
                                               row["handler_imports_ms"], row["init_code_ms"]))
                row["other_ms"] = max(0.0, init - known) if init is not None else None
    finally:
        bar.close()
    return tidy(rows, BREAKDOWN_COLUMNS, meta)


# -- concurrency burst ----------------------------------------------------------------------
BURST_COLUMNS = {
    "burst": "burst number (count, from 0)",
    "index": "invocation number within the burst (count, from 0)",
    "request_id": "Lambda request id",
    "start_s": "client send time since the run started (s)",
    "end_s": "client response time since the run started (s)",
    "client_ms": "client round trip (ms)",
    "start": "cold (REPORT has Init Duration) or warm",
    "init_ms": "REPORT Init Duration (ms; empty when warm)",
    "duration_ms": "REPORT Duration (ms)",
    "environment": "execution environment (log stream name)",
}


def concurrency_burst(target, *, burst_size: int = 5, bursts: int = 2, hold_ms: float = 300.0,
                      pause_s: float = 0.5, timeout_s: float = 60.0,
                      show_progress: bool = True, stack_name: str = "burst") -> pd.DataFrame:
    """`bursts` rounds of `burst_size` simultaneous invokes of the `recorder` handler, each
    holding its environment `hold_ms`. The first burst needs `burst_size` new environments
    (cold starts); later ones reuse them while they are warm."""
    params = dict(burst_size=burst_size, bursts=bursts, hold_ms=hold_ms, pause_s=pause_s,
                  handler="recorder")
    meta = run_metadata("concurrency_burst", target, params, seed=None, columns=BURST_COLUMNS)
    rows: list[dict] = []
    bar = progress_bar(bursts * burst_size, "invocations", show_progress)
    try:
        with experiment_stack(target, stack_name) as stack:
            fn = _deploy(stack, "recorder", memory_size=128, timeout=30, environment={})
            lam = stack.client("lambda")
            started_ms = int(time.time() * 1000) - 1000
            t0 = time.perf_counter()

            def one(burst: int, index: int) -> dict:
                s = time.perf_counter()
                body, ms = _invoke(lam, fn.name, {"lab": {"sleep_ms": hold_ms}})
                bar.update(1)
                rec = json.loads(body["body"])
                return {"burst": burst, "index": index, "request_id": rec["request_id"],
                        "start_s": s - t0, "end_s": s - t0 + ms / 1e3, "client_ms": ms}

            with ThreadPoolExecutor(max_workers=burst_size) as pool:
                for burst in range(bursts):
                    rows += list(pool.map(lambda i, b=burst: one(b, i), range(burst_size)))
                    time.sleep(pause_s)
            _join_reports(rows, _reports_for(target, fn, rows, started_ms, timeout_s))
    finally:
        bar.close()
    return tidy(rows, BURST_COLUMNS, meta)
