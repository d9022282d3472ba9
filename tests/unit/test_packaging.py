"""The project's own files agree with each other and with the notebook rules."""

import re
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    pip_lines = []
    in_pip = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.strip() == "- pip:":
            in_pip = True
            continue
        if in_pip and line.strip().startswith("- "):
            pip_lines.append(line.strip()[2:])
    conda = {_name(r) for r in pip_lines if not r.startswith("-e")}
    assert conda == wanted
    assert "-e .[dev]" in pip_lines, "environment.yml must install the project editable"


def test_every_pin_says_why():
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r'\s+"[A-Za-z]', line) and any(op in line for op in (">=", "<", "==")):
            above = lines[i - 1].strip()
            assert above.startswith("#") or lines[i - 2].strip().startswith("#") or \
                re.match(r'\s+"[A-Za-z]', lines[i - 1]), f"pin without a comment: {line.strip()}"


def test_notebooks_are_committed_without_outputs_and_import_lab_cleanly():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "the series has no notebooks"
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name}: outputs must be stripped"
                assert cell.execution_count is None, f"{path.name}: execution counts stripped"
                assert "sys.path" not in cell.source, f"{path.name}: never edit sys.path"
        assert re.match(r"\d\d_[a-z0-9_]+\.ipynb$", path.name), path.name
