"""Shared helpers for the unit tests (stubbed aws target, no account)."""

from __future__ import annotations

import io

import botocore.waiter
import pytest


class Tty(io.StringIO):
    """A stdin/stdout that says it is a terminal (interactive confirmation prompts)."""

    def isatty(self):
        return True


@pytest.fixture
def waiter_sleeps(monkeypatch) -> list[float]:
    """botocore waiters record their sleeps here instead of sleeping, and stacks a test
    leaves half-built do not run their teardown at interpreter exit."""
    waits: list[float] = []
    monkeypatch.setattr(botocore.waiter.time, "sleep", waits.append)
    monkeypatch.setattr("lab.stack.builder.atexit.register", lambda fn: None)
    monkeypatch.setattr("lab.stack.builder.atexit.unregister", lambda fn: None)
    return waits
