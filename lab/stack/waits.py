"""The one way the lab waits: poll a check until it answers or a deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll_until(check: Callable[[], T | None], *, timeout: float, poll_every: float,
               sleep: Callable[[float], None] = time.sleep,
               what: Callable[[], str] = lambda: "condition not met") -> T:
    """Call `check` until it returns something other than None; TimeoutError (`what()`)
    after `timeout` s. Counts the waits too, so a fake `sleep` still ends the loop."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while (result := check()) is None:
        attempts += 1
        if time.monotonic() > deadline or attempts * poll_every > timeout:
            raise TimeoutError(f"{what()} after {timeout} s")
        sleep(poll_every)
    return result


def wait_for_mapping(lam, uuid: str, state: str = "Enabled", *, timeout: float = 30.0,
                     poll_every: float = 0.1,
                     sleep: Callable[[float], None] = time.sleep) -> str:
    """Poll GetEventSourceMapping until the mapping is in `state` (e.g. after
    CreateEventSourceMapping or UpdateEventSourceMapping(Enabled=...), it passes through
    Creating/Enabling/Disabling/Updating). A mapping that is Disabled or Deleting while we
    wait for Enabled fails at once. TimeoutError after `timeout` s."""
    seen = {"state": None}

    def reached() -> str | None:
        seen["state"] = current = lam.get_event_source_mapping(UUID=uuid)["State"]
        if current == state:
            return current
        if state == "Enabled" and current in ("Disabled", "Deleting"):
            raise TimeoutError(f"event source mapping {uuid} is {current}, not {state}")
        return None

    return poll_until(reached, timeout=timeout, poll_every=poll_every, sleep=sleep,
                      what=lambda: f"event source mapping {uuid} is {seen['state']}, not {state},")


def wait_for_mapping_deleted(lam, uuid: str, *, timeout: float = 60.0, poll_every: float = 1.0,
                             sleep: Callable[[float], None] = time.sleep) -> None:
    """Poll GetEventSourceMapping until the mapping is gone (ResourceNotFoundException).
    DeleteEventSourceMapping only starts the deletion (State Deleting); until it ends the
    mapping may still invoke its function, which would write to (and on AWS re-create,
    untagged) the function's log group. TimeoutError after `timeout` s."""
    from botocore.exceptions import ClientError

    seen = {"state": None}

    def gone() -> bool | None:
        try:
            seen["state"] = lam.get_event_source_mapping(UUID=uuid)["State"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return True
            raise
        return None

    poll_until(gone, timeout=timeout, poll_every=poll_every, sleep=sleep,
               what=lambda: f"event source mapping {uuid} still {seen['state']}")
