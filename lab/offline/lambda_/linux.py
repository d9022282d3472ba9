"""The Linux-only extras of the process layer (processes.py); the one module of `lab` that
reads `/proc` or calls `prctl`.

- `die_with_parent(parent)`: a preexec function setting PR_SET_PDEATHSIG = SIGKILL, so the
  kernel kills an environment the moment the thread that started it (the spawner thread,
  which lives as long as `lab serve`) is gone, even when `lab serve` is SIGKILLed.
- `peak_rss_kb(pid)`: the kernel's own high-water mark of a process's resident memory
  (`VmHWM` in /proc/<pid>/status), exact, where the portable layer can only sample RSS.
- `children(pid)`: direct children from /proc/<pid>/task/*/children, cheaper than
  scanning every process (what psutil must do to find children).

`available()` says whether they work here; processes.py uses them only then, and never in
portable mode (LAB_PORTABLE=1), which runs on what macOS has too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def available() -> bool:
    return sys.platform.startswith("linux") and os.path.isdir("/proc/self/task")


def die_with_parent(parent: int):
    """A `preexec_fn` (runs in the child between fork and exec): SIGKILL the child when the
    thread that forked it exits; exit at once if the parent is already gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl

    def preexec():
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def status_kb(pid: int, field_name: str) -> int | None:
    """A memory figure (kB) from /proc/<pid>/status, e.g. VmHWM (peak RSS) or VmRSS."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(field_name.encode() + b":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_kb(pid: int) -> int | None:
    """The process's peak RSS so far (the kernel's VmHWM), kB."""
    return status_kb(pid, "VmHWM")


def children(pid: int) -> list[int]:
    """Direct children of `pid` (of every thread of it)."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                found.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return found
