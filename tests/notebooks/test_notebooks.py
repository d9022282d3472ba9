"""Every notebook runs offline, top to bottom, in a fresh kernel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.walkthrough.notebooks import list_notebooks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = list_notebooks(ROOT / "notebooks")


@pytest.mark.notebook
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_offline(path, executed_notebooks):
    result = executed_notebooks[path]
    if isinstance(result, BaseException):
        raise result
    nb, seconds = result
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    if path.stem.startswith("08_"):  # a dress rehearsal of the aws target, labelled as one
        text = "\n".join(str(o.get("text", "")) + json.dumps(o.get("data", {}))
                         for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "DRESS REHEARSAL" in text and "rehearsal (aws target code on lab serve" in text
        assert "0 leftover(s)" in text and "AWS (" not in text
    print(f"{path.name}: {seconds:.1f} s")
