"""Execute the series headless, each notebook in a fresh kernel, offline.

Used by `lab build` (the main job) and by the test suite, so both run notebooks the same way.
Notebooks are independent (each kernel starts its own offline endpoint), so a small pool
runs several at once: `execute_notebooks`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: nbformat's schema validation costs ~2 s of CPU to
    import nbformat  # import, which the test suite's workers (conftest) need not pay

KERNEL_NAME = "serverless-lab"
# Notebooks executed at once by `execute_notebooks` (env LAB_NOTEBOOK_JOBS overrides): each
# mostly waits on its own endpoint, so a few overlap well even on two cores.
DEFAULT_JOBS = 3


def list_notebooks(folder: str | Path = "notebooks") -> list[Path]:
    """The series in order: `NN_topic.ipynb`."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in specs else "python3"


def _kernel_manager(kernel_name: str, folder: str):
    """A kernel manager talking to its kernel over local (ipc) sockets on POSIX: over TCP,
    even on loopback, ipykernel warns that the traffic is not encrypted. The connection file
    sits in `folder` (one per kernel), so the socket names of concurrent kernels differ."""
    from jupyter_client import AsyncKernelManager

    if os.name != "posix":
        return AsyncKernelManager(kernel_name=kernel_name)
    return AsyncKernelManager(kernel_name=kernel_name, transport="ipc",
                              connection_file=os.path.join(folder, "kernel.json"))


def execute_notebook(path: str | Path, out_path: str | Path | None = None,
                     timeout: int = 900, env: dict[str, str] | None = None,
                     ) -> tuple[nbformat.NotebookNode, float]:
    """Run `path` top to bottom in a fresh kernel (offline target); return it and seconds."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("LAB_TARGET", "offline")
    if os.environ["LAB_TARGET"] != "offline":
        raise RuntimeError("notebooks are executed offline here; unset LAB_TARGET")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("LAB_PROGRESS", "0")  # no progress-bar frames in executed copies
    sockets = tempfile.mkdtemp(prefix="lab-kernel-")  # short: ipc socket paths are limited
    try:
        km = _kernel_manager(_kernel_name(), sockets)
        # charts as SVG in the executed copies and the book: crisp at any zoom
        client = NotebookClient(nb, km=km, timeout=timeout, kernel_name=km.kernel_name,
                                extra_arguments=["--InlineBackend.figure_formats=svg"],
                                resources={"metadata": {"path": str(path.parent.resolve())}})
        started = time.monotonic()
        # `env`: variables for this notebook's kernel only (e.g. LAB_CHART_CHECK's file)
        kernel_env = {**os.environ, **env} if env else None
        client.execute(cleanup_kc=True, **({"env": kernel_env} if kernel_env else {}))
        elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    if out_path is not None:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_path)
    return nb, elapsed


def notebook_jobs() -> int:
    """How many notebooks `execute_notebooks` runs at once (LAB_NOTEBOOK_JOBS, default 3)."""
    try:
        return max(1, int(os.environ.get("LAB_NOTEBOOK_JOBS", DEFAULT_JOBS)))
    except ValueError:
        return DEFAULT_JOBS


def execute_notebooks(paths: Iterable[str | Path], out_dir: str | Path, timeout: int = 900,
                      jobs: int | None = None,
                      on_start: Callable[[Path], None] | None = None,
                      on_done: Callable[[Path, float | None, BaseException | None], None]
                      | None = None,
                      env_for: Callable[[Path], dict[str, str]] | None = None,
                      ) -> dict[Path, tuple[nbformat.NotebookNode, float] | BaseException]:
    """Execute `paths` into `out_dir` (same file names), `jobs` at a time (default
    `notebook_jobs()`), each in its own kernel. Returns {path: (notebook, seconds)} or
    {path: the exception it raised}, in the order given; `on_start(path)` and
    `on_done(path, seconds or None, error or None)` are called from the worker threads;
    `env_for(path)`: extra variables for that notebook's kernel."""
    paths = [Path(p) for p in paths]
    out_dir = Path(out_dir)

    def run(path: Path):
        if on_start:
            on_start(path)
        try:
            result = execute_notebook(path, out_dir / path.name, timeout=timeout,
                                      env=env_for(path) if env_for else None)
        except Exception as exc:  # reported per notebook, the others go on
            if on_done:
                on_done(path, None, exc)
            return exc
        if on_done:
            on_done(path, result[1], None)
        return result

    workers = max(1, min(jobs or notebook_jobs(), len(paths) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notebook") as pool:
        return dict(zip(paths, pool.map(run, paths), strict=True))
