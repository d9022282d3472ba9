"""The main job: execute every notebook offline into build/notebooks, then build the
readable walkthrough (build/site) from the executed copies."""

from __future__ import annotations

from pathlib import Path

from lab.walkthrough.notebooks import execute_notebook, list_notebooks
from lab.walkthrough.site import build_site


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
    index = build_site(out_dir, Path(out) / "site")
    print(f"lab build: walkthrough at {index.resolve()} (open it in a browser)")
    return 0
