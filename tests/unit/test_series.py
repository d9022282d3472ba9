"""The series is one map: every notebook is in exactly one part, and its header block names
the parts and its part's notebooks as lab.walkthrough.series defines them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.walkthrough.notebooks import list_notebooks
from lab.walkthrough.series import PARTS, header_lines

NOTEBOOKS = list_notebooks(Path(__file__).resolve().parents[2] / "notebooks")


def test_every_notebook_is_in_exactly_one_part_and_every_part_number_exists():
    numbers = [n for _, ns in PARTS for n in ns]
    assert len(numbers) == len(set(numbers))
    assert sorted(numbers) == sorted(int(p.name[:2]) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_header_block_matches_the_series(path):
    text = "".join(json.loads(path.read_text())["cells"][0]["source"])
    assert "\n".join(header_lines(path)) in text, \
        f"run: python -m lab.walkthrough.series {path.relative_to(path.parents[1])}"


def test_the_welcome_map_links_every_notebook():
    welcome = (NOTEBOOKS[0].parent / "00_welcome.ipynb").read_text()
    for path in NOTEBOOKS[1:]:
        assert f"]({path.name})" in welcome, path.name
