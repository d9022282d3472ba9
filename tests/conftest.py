"""Shared fixtures: one `lab serve` child for the whole run, reset between tests that ask.

Under pytest-xdist every worker is its own session: its own `lab serve` child on a free
port (port 0), its own state. The notebook tests (tests/notebooks/) share one worker so
the walkthrough test reuses the notebooks executed for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.offline.moto_setup import skip_iri_grammar
from lab.offline.process import ServeProcess
from lab.targets import OfflineTarget
from lab.walkthrough.notebooks import execute_notebooks, list_notebooks
from tests.fixtures.common import chart_problems_file

skip_iri_grammar()  # before collection imports moto's CloudFormation: ~3 s of CPU per worker

NOTEBOOKS = list_notebooks(Path(__file__).resolve().parents[1] / "notebooks")


# Units that take a minute or more (mostly waiting: terraform's provider, notebooks' kernels,
# visibility timeouts), handed out first so none of them starts last and ends the run alone.
LONG_FIRST = ("notebooks", "tests/conformance/test_iac_terraform.py",
              "tests/conformance/test_esm_delivery.py", "tests/conformance/test_aws_rehearsal.py",
              "tests/conformance/test_cli_by_hand.py", "tests/conformance/test_pipeline_lessons.py")


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (pyproject's addopts): each test file is one unit of work (a
    module's tests share module-scoped fixtures and run in order on one endpoint), and
    tests/notebooks/ is one unit; LONG_FIRST go out first, then the rest by size. Grouping
    by path: xdist_group marks rename node ids, which pytest 9 ignores."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongFilesFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "notebooks" if nodeid.startswith("tests/notebooks/") \
                else nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_long_first", False):  # the queue is complete by now
                self._long_first = True
                for scope in reversed(LONG_FIRST):
                    if scope in self.workqueue:
                        self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return LongFilesFirst(config, log)


@pytest.fixture(scope="session")
def serve_process():
    process = ServeProcess()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def cloud(serve_process) -> OfflineTarget:
    """An offline target on the session's endpoint (state shared across tests)."""
    return OfflineTarget(serve_process.url)


@pytest.fixture(scope="session")
def executed_notebooks_dir(tmp_path_factory):
    """Executed copies of the notebooks, shared by the notebook and walkthrough tests."""
    return tmp_path_factory.mktemp("executed")


def _notebooks_needed(session: pytest.Session) -> list[Path]:
    """Every notebook if the walkthrough test runs, else those whose own test runs."""
    items = [item for item in session.items if item.path.parent.name == "notebooks"]
    if any(item.path.name == "test_walkthrough.py" for item in items):
        return NOTEBOOKS
    names = {item.name for item in items}
    return [p for p in NOTEBOOKS if f"test_notebook_executes_offline[{p.stem}]" in names]


@pytest.fixture(scope="session")
def executed_notebooks(request, executed_notebooks_dir):
    """{notebook path: (executed notebook, seconds) or the exception it raised}: the
    notebooks this session needs, executed offline into `executed_notebooks_dir` by a
    small pool (lab.walkthrough.notebooks.execute_notebooks), each in a fresh kernel."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LAB_ENDPOINT_URL", raising=False)
        mp.setenv("LAB_TARGET", "offline")
        return execute_notebooks(
            _notebooks_needed(request.session), executed_notebooks_dir,
            # lab.results.chartcheck: every figure a notebook renders, checked, per notebook
            env_for=lambda path: {"LAB_CHART_CHECK": str(chart_problems_file(
                executed_notebooks_dir, path))})


@pytest.fixture
def clean_cloud(cloud) -> OfflineTarget:
    """The session's offline target, reset to an empty account before the test."""
    cloud.reset()
    return cloud
