"""Every notebook runs offline, top to bottom, in a fresh kernel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.walkthrough.notebooks import list_notebooks
from tests.fixtures.common import chart_problems_file

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = list_notebooks(ROOT / "notebooks")


@pytest.mark.notebook
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_offline(path, executed_notebooks, executed_notebooks_dir):
    result = executed_notebooks[path]
    if isinstance(result, BaseException):
        raise result
    nb, seconds = result
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    chart_problems = chart_problems_file(executed_notebooks_dir, path)
    figures = [json.loads(line) for line in chart_problems.read_text().splitlines()] \
        if chart_problems.exists() else []
    assert not figures, "charts that mislead or cannot be read:\n" + "\n".join(
        f"{f['titles']}: {p}" for f in figures for p in f["problems"])
    if path.stem.startswith("08_"):  # a dress rehearsal of the aws target, labelled as one
        text = "\n".join(str(o.get("text", "")) + json.dumps(o.get("data", {}))
                         for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "DRESS REHEARSAL" in text and "rehearsal (aws target code on lab serve" in text
        assert "0 leftover(s)" in text and "AWS (" not in text
    print(f"{path.name}: {seconds:.1f} s")
