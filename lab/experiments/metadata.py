"""Run metadata every experiment attaches to its DataFrame (`df.attrs`), and the plumbing
experiments share: a progress bar, a stack that is always torn down, seeded randomness.

A result without its metadata cannot be compared honestly (which target? which machine?
which parameters?), so `lab.results.data.save_run` refuses a frame that lacks these keys.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from lab.results.data import REQUIRED_KEYS  # noqa: F401 - re-exported: keys lab.results.data.check_run requires
from lab.stack import Stack


class _LocalMachine:
    """Stands in for a target when a measurement involves no endpoint, only local processes
    on this machine."""

    name = "offline"
    region = None
    endpoint_url = None


#: The `target` of runs that measure this machine only (recorded as offline).
LOCAL_MACHINE = _LocalMachine()

#: Packages whose versions a run records.
VERSIONED = ("serverless-lab", "moto", "boto3", "botocore", "pandas", "awslambdaric")


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """lab, moto, boto3 (and friends) and Python versions of this process."""
    out = {("lab" if p == "serverless-lab" else p): _version(p) for p in VERSIONED}
    out["python"] = platform.python_version()
    return out


def machine() -> dict:
    """What the numbers were measured on (no host name: runs may be published)."""
    return {"platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor() or None, "cpu_count": os.cpu_count(),
            "python_implementation": platform.python_implementation()}


def target_info(target) -> dict:
    """Name, region and (offline, rehearsal) endpoint of a `lab.connect()` target.

    A dress rehearsal (the aws target's code against a `lab serve`) is recorded as target
    "rehearsal", with the endpoint and `rehearsal_of="aws"`: never as AWS data."""
    name = getattr(target, "name", None) or "unknown"
    info = {"target": name, "region": getattr(target, "region", None)}
    if getattr(target, "rehearsal", False):
        info.update(target="rehearsal", rehearsal_of=name,
                    endpoint_url=getattr(target, "endpoint_url", None))
    elif name == "offline":
        info["endpoint_url"] = getattr(target, "endpoint_url", None)
    return info


def run_metadata(experiment: str, target, parameters: dict, *, seed: int | None,
                 columns: dict[str, str], notes: str | None = None) -> dict:
    """The metadata dict for one run. `columns` maps each column to its meaning and unit."""
    meta = {"experiment": experiment, **target_info(target),
            "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": versions(), "machine": machine(),
            "parameters": dict(parameters), "seed": seed, "columns": dict(columns)}
    if notes:
        meta["notes"] = notes
    return meta


def tidy(rows: list[dict], columns: dict[str, str], meta: dict) -> pd.DataFrame:
    """A DataFrame with exactly `columns` (in that order) and `meta` in `attrs`."""
    df = pd.DataFrame(rows, columns=list(columns))
    df.attrs.update(meta)
    return df


def _bars_wanted(show: bool) -> bool:
    """Bars are for people watching: headless runs (`lab build`, the test suite) set
    LAB_PROGRESS=0 so executed copies and the walkthrough are not filled with bar frames."""
    return show and os.environ.get("LAB_PROGRESS", "1") != "0"


def progress(iterable: Iterable, *, total: int | None = None, desc: str = "",
             show: bool = True) -> Iterator:
    """A `tqdm.auto` progress bar (a widget in Jupyter, text in a terminal)."""
    if not _bars_wanted(show):
        return iter(iterable)
    from tqdm.auto import tqdm

    return iter(tqdm(iterable, total=total, desc=desc, leave=False))


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, desc: str = "", show: bool = True):
    """A manual `tqdm.auto` bar (`.update(n)`, `.close()`), or a silent stand-in."""
    if not _bars_wanted(show):
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


@contextlib.contextmanager
def experiment_stack(target, name: str, run_id: str | None = None):
    """A `Stack` torn down in `finally`: an interrupted experiment (KeyboardInterrupt)
    leaves nothing behind."""
    stack = Stack(target, name, run_id=run_id)
    try:
        yield stack
    finally:
        stack.teardown()

