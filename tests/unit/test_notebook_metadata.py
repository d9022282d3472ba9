"""Every notebook opens with the project's kernel (the one `make setup` installs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KERNELSPEC = {"name": "serverless-lab", "display_name": "Python (serverless-lab)",
              "language": "python"}


def test_the_makefile_installs_the_kernel_the_notebooks_name():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^KERNEL := serverless-lab$", makefile, re.M)
    assert '--name $(KERNEL) --display-name "Python (serverless-lab)"' in makefile


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_defaults_to_the_project_kernel(path):
    metadata = json.loads(path.read_text())["metadata"]
    assert metadata.get("kernelspec") == KERNELSPEC
