"""The main job: execute every notebook offline into build/notebooks, then build the
walkthrough book (build/book/html) from the executed copies."""

from __future__ import annotations

import time
from pathlib import Path

from lab.walkthrough.book import build_book
from lab.walkthrough.notebooks import execute_notebook, list_notebooks


def build(notebooks: str = "notebooks", out: str = "build", timeout: int = 900) -> int:
    out_dir = Path(out) / "notebooks"
    paths = list_notebooks(notebooks)
    if not paths:
        print(f"lab build: no notebooks in {notebooks}/")
        return 1
    for path in paths:
        print(f"lab build: executing {path} ...", flush=True)
        _, seconds = execute_notebook(path, out_dir / path.name, timeout=timeout)
        print(f"lab build: {path.name} done in {seconds:.1f} s -> {out_dir / path.name}",
              flush=True)
    print(f"lab build: {len(paths)} executed notebooks in {out_dir}/")
    started = time.monotonic()
    index = build_book(out_dir, Path(out) / "book")
    print(f"lab build: book at {index.resolve()} in {time.monotonic() - started:.1f} s "
          "(open it in a browser)")
    return 0
