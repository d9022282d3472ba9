"""Part 2's own measurements (lab.experiments.function_lessons): each measures what it says,
carries complete run metadata, and leaves no process behind.

Timing assertions compare two methods measured in the same run (the machine is shared and
loaded), never against an absolute number.
"""

from __future__ import annotations

import os

from lab.data import check_run
from lab.experiments import function_lessons as fl


def test_fork_of_initialised_parent_is_ready_faster_than_a_fresh_process():
    # The SOCK zygote / SnapStart idea: a copy of a process that already imported boto3
    # skips interpreter start and imports, so its handler is ready sooner.
    df = fl.fork_vs_fresh(imports=["boto3"], repeats=5, seed=1, show_progress=False)
    meta = check_run(df)
    assert meta["experiment"] == "fork_vs_fresh" and meta["seed"] == 1
    assert list(df.columns) == list(fl.FORK_COLUMNS)
    counts = df["method"].value_counts()
    assert counts["fresh process"] == 5 and counts["fork of initialised parent"] == 5
    assert counts["parent initialisation (once)"] == 1
    summary = fl.summarize_fork_vs_fresh(df).set_index("method")
    fresh = summary.loc["fresh process", "median_ms"]
    fork = summary.loc["fork of initialised parent", "median_ms"]
    assert fork * 3 < fresh, summary  # several-fold, as SOCK reports for zygotes
    assert (df["ready_ms"] > 0).all()


def test_fork_vs_fresh_order_is_seeded():
    a = fl.fork_vs_fresh(imports=[], repeats=3, seed=7, show_progress=False)
    b = fl.fork_vs_fresh(imports=[], repeats=3, seed=7, show_progress=False)
    assert list(a["method"]) == list(b["method"])


def test_zygote_exits_when_its_parent_closes_stdin():
    zygote = fl.Zygote([])
    pid = zygote.proc.pid
    assert zygote.fork_ready_ms() > 0
    zygote.close()
    assert not zygote.alive
    assert not os.path.exists(f"/proc/{pid}") or _is_zombie_or_gone(pid)


def _is_zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] == "Z"
    except FileNotFoundError:
        return True
