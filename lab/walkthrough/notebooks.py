"""Execute the series headless, each notebook in a fresh kernel, offline.

Used by `lab build` (the main job) and by the test suite, so both run notebooks the same way.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL_NAME = "serverless-lab"


def list_notebooks(folder: str | Path = "notebooks") -> list[Path]:
    """The series in order: `NN_topic.ipynb`."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in specs else "python3"


def execute_notebook(path: str | Path, out_path: str | Path | None = None,
                     timeout: int = 900) -> tuple[nbformat.NotebookNode, float]:
    """Run `path` top to bottom in a fresh kernel (offline target); return it and seconds."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("LAB_TARGET", "offline")
    if os.environ["LAB_TARGET"] != "offline":
        raise RuntimeError("notebooks are executed offline here; unset LAB_TARGET")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("LAB_PROGRESS", "0")  # no progress-bar frames in executed copies
    # charts as SVG in the executed copies and the book: crisp at any zoom
    client = NotebookClient(nb, timeout=timeout, kernel_name=_kernel_name(),
                            extra_arguments=["--InlineBackend.figure_formats=svg"],
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    started = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - started
    if out_path is not None:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_path)
    return nb, elapsed
