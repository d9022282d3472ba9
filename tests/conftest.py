"""Shared fixtures: one `lab serve` child for the whole run, reset between tests that ask."""

from __future__ import annotations

import pytest

from lab.offline.process import ServeProcess
from lab.targets import OfflineTarget


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


@pytest.fixture
def clean_cloud(cloud) -> OfflineTarget:
    """The session's offline target, reset to an empty account before the test."""
    cloud.reset()
    return cloud
