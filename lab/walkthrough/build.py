"""The main job: execute every notebook offline into build/notebooks, then build the
walkthrough book (build/book/html) from the executed copies."""

from __future__ import annotations

import time
from pathlib import Path

from lab.walkthrough.book import build_book
from lab.walkthrough.notebooks import execute_notebooks, list_notebooks, notebook_jobs


def build(notebooks: str = "notebooks", out: str = "build", timeout: int = 900,
          jobs: int | None = None) -> int:
    """`jobs` notebooks run at once (default: LAB_NOTEBOOK_JOBS or 3), each in its own
    kernel with its own offline endpoint."""
    out_dir = Path(out) / "notebooks"
    paths = list_notebooks(notebooks)
    if not paths:
        print(f"lab build: no notebooks in {notebooks}/")
        return 1
    jobs = jobs or notebook_jobs()
    print(f"lab build: executing {len(paths)} notebooks, {jobs} at a time", flush=True)

    def started(path: Path) -> None:
        print(f"lab build: executing {path} ...", flush=True)

    def done(path: Path, seconds: float | None, error: BaseException | None) -> None:
        if error is None:
            print(f"lab build: {path.name} done in {seconds:.1f} s -> {out_dir / path.name}",
                  flush=True)
        else:
            print(f"lab build: {path.name} FAILED: {type(error).__name__}", flush=True)

    began = time.monotonic()
    results = execute_notebooks(paths, out_dir, timeout=timeout, jobs=jobs,
                                on_start=started, on_done=done)
    failed = {p: r for p, r in results.items() if isinstance(r, BaseException)}
    if failed:
        names = ", ".join(p.name for p in failed)
        print(f"lab build: {len(failed)} of {len(paths)} notebooks failed: {names}", flush=True)
        raise next(iter(failed.values()))
    print(f"lab build: {len(paths)} executed notebooks in {out_dir}/ "
          f"({time.monotonic() - began:.1f} s)")
    began = time.monotonic()
    index = build_book(out_dir, Path(out) / "book")
    print(f"lab build: book at {index.resolve()} in {time.monotonic() - began:.1f} s "
          "(open it in a browser)")
    return 0
