"""The portable process layer of execution environments: start, wait, kill the whole tree,
current and peak memory of the tree, CPU time. Backed by psutil (Linux, macOS, any POSIX
system), with Linux-only extras (linux.py: parent-death signal, the kernel's peak RSS, cheap
child lookup) used where present. The sandbox (bubblewrap, sandbox.py) is another such
extra; this module only walks and measures what it starts.

Modes (`mode()`):
- "linux": environments get PR_SET_PDEATHSIG (the kernel kills them when `lab serve`
  dies, even by SIGKILL) and peak memory is the kernel's VmHWM.
- "portable" (not Linux, or forced with LAB_PORTABLE=1): only what macOS has too. No
  prctl: each environment's bootstrap (boot/sitecustomize.py) watches its parent and
  kills its own process group when `lab serve` is gone (`watch_parent_env`); peak memory
  is the highest RSS sampled (every poll of the pool's monitor, and at the end of each
  invocation), plus the exited process's own ru_maxrss.
In both, every environment is its own session and process group; `lab serve` kills the
groups it started on every exit path it can run code on (shutdown, reset, interpreter
exit: `atexit`), and the parent watchers cover the one it cannot (SIGKILL).
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future

import psutil

from lab.offline.lambda_ import linux

PORTABLE_ENV = "LAB_PORTABLE"
PARENT_ENV = "_LAB_PARENT_PID"  # read (and removed) by boot/sitecustomize.py


def portable_forced() -> bool:
    return os.environ.get(PORTABLE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def mode() -> str:
    """"linux" (the Linux extras are used) or "portable" (only what macOS has too)."""
    if portable_forced() or not linux.available():
        return "portable"
    return "linux"


def describe() -> dict:
    """What this platform's process layer does (shown in /_lab/health)."""
    if mode() == "linux":
        return {"mode": "linux",
                "die_with_parent": "PR_SET_PDEATHSIG (kernel, also when lab serve is "
                                   "SIGKILLed)",
                "peak_memory": "the kernel's peak RSS (VmHWM) and the sampled tree RSS"}
    why = (f"{PORTABLE_ENV}={os.environ.get(PORTABLE_ENV)}" if portable_forced()
           else f"{sys.platform}: no parent-death signal, no process file system")
    return {"mode": "portable", "reason": why,
            "die_with_parent": "each environment's bootstrap watches its parent and ends "
                               "its process group when lab serve is gone (within 0.2 s)",
            "peak_memory": "the highest RSS of the process tree sampled every poll (20 ms) "
                           "and at each invocation's end, and ru_maxrss at exit: a sample, "
                           "not the kernel's high-water mark"}


# -- starting -------------------------------------------------------------------------------
class Spawner:
    """Starts processes from one thread that lives as long as `lab serve`.

    On Linux, PR_SET_PDEATHSIG fires when the *thread* that forked the child exits;
    `lab serve`'s request threads are short-lived, so they never fork environments
    themselves. Every process is its own session (process group = its pid), registered
    for the exit-time kill.
    """

    def __init__(self, box=None):
        self.mode = mode()
        self.sandbox = box  # sandbox.Sandbox: how environments.py wraps each command
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lambda-spawner", daemon=True)
        self._thread.start()

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str
              ) -> tuple[subprocess.Popen, int]:
        """(the process, its start time in ns since the epoch)."""
        future: Future = Future()
        self._queue.put((argv, env, cwd, future))
        return future.result()

    def stop(self) -> None:
        self._queue.put(None)

    def watch_parent_env(self) -> dict[str, str]:
        """Variables that make the environment's bootstrap watch `lab serve` (portable)."""
        return {} if self.mode == "linux" else {PARENT_ENV: str(os.getpid())}

    def _run(self) -> None:
        preexec = linux.die_with_parent(os.getpid()) if self.mode == "linux" else None
        while (item := self._queue.get()) is not None:
            argv, env, cwd, future = item
            try:
                started = time.time_ns()
                proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        preexec_fn=preexec, start_new_session=True)
                _GROUPS.add(proc.pid)
                future.set_result((proc, started))
            except Exception as exc:
                future.set_exception(exc)


# -- the tree of one environment ----------------------------------------------------------------
def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def children(pid: int) -> list[int]:
    """Direct children of `pid`."""
    if mode() == "linux":
        return linux.children(pid)
    try:
        return [c.pid for c in psutil.Process(pid).children()]
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


def tree(pid: int) -> list[int]:
    """`pid` and its descendants, parents first."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def rss_kb(pid: int) -> int | None:
    try:
        return psutil.Process(pid).memory_info().rss // 1024
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process, s."""
    try:
        t = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    return t.user + t.system


def name(pid: int) -> str | None:
    try:
        return psutil.Process(pid).name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def alive(pid: int) -> bool:
    """True while the process runs (a zombie awaiting its parent's wait() counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def peak_rss_kb(pid: int) -> int | None:
    """The kernel's peak RSS of one process where it says (Linux), else None."""
    return linux.peak_rss_kb(pid) if mode() == "linux" else None


class ProcessTree:
    """The processes of one environment: the one started (`root`, its own process group)
    and everything it starts. Every process seen is remembered with its start time, so a
    kill never hits a pid the OS has given to another process since."""

    TREE_EVERY = 5  # peak sampling: the root every call, the whole tree every 5th

    def __init__(self, root: int, exclude: tuple[str, ...] = ()):
        self.root = root
        self.exclude = exclude  # process names not counted (e.g. the sandbox's own "bwrap")
        try:
            self._root = psutil.Process(root)
            created = self._root.create_time()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            self._root, created = None, None
        self._seen: dict[int, float | None] = {root: created}
        self._lock = threading.Lock()
        self._samples = 0
        self.sampled_peak_kb = 0  # the highest RSS seen (the root's, or the tree's sum)

    def _root_running(self) -> bool:
        try:
            return self._root is not None and self._root.is_running()  # checks the pid's
        except psutil.Error:                                           # start time too
            return False

    def pids(self) -> list[int]:
        """The live tree now (also remembered for the kill)."""
        if not self._root_running():
            return []  # the root is gone (its pid may name another process by now)
        found = [p for p in tree(self.root) if _create_time(p) is not None]
        with self._lock:
            for pid in found:
                if pid not in self._seen:
                    self._seen[pid] = _create_time(pid)
        return found

    def measured(self) -> list[int]:
        """The tree's pids that count (the excluded names left out)."""
        pids = self.pids()
        if not self.exclude:
            return pids
        return [p for p in pids if name(p) not in self.exclude]

    def root_rss_kb(self) -> int | None:
        if not self._root_running():
            return None
        try:
            return self._root.memory_info().rss // 1024
        except psutil.Error:
            return None

    def rss_kb(self) -> int | None:
        """Summed RSS of the tree now, kB (None: nothing left to measure)."""
        total, found = 0, False
        for pid in self.measured():
            rss = rss_kb(pid)
            if rss is not None:
                total, found = total + rss, True
        if found:
            self.sampled_peak_kb = max(self.sampled_peak_kb, total)
        return total if found else None

    def sample_peak_kb(self, pid: int | None = -1) -> int | None:
        """One sample towards the peak: `pid`'s RSS (default: the root's; None: none) and,
        every TREE_EVERY-th call, the whole tree's sum. The highest seen so far, or None."""
        self._samples += 1
        if pid == -1:
            one = self.root_rss_kb()
        else:
            one = rss_kb(pid) if pid is not None else None
        if one is not None:
            self.sampled_peak_kb = max(self.sampled_peak_kb, one)
        if self._samples % self.TREE_EVERY == 1:
            self.rss_kb()
        return self.sampled_peak_kb or None

    def cpu_seconds(self) -> float | None:
        total, found = 0.0, False
        for pid in self.measured():
            cpu = cpu_seconds(pid)
            if cpu is not None:
                total, found = total + cpu, True
        return total if found else None

    def kill(self) -> None:
        """SIGKILL the root's process group and every process seen in the tree that still
        runs with the start time it was seen with."""
        self.pids()  # the tree as it is now, before the group's end re-parents it
        _kill_group(self.root)
        with self._lock:
            seen = dict(self._seen)
        for pid, created in seen.items():
            if created is None or _create_time(pid) != created:
                continue  # gone, or the pid now names another process
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def wait(proc: subprocess.Popen) -> tuple[int, int | None]:
    """Wait for `proc` to exit and reap it: (its return code as Popen gives it, its own
    peak RSS in kB from the kernel's accounting of the reaped child, if any)."""
    try:
        _, status, rusage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # reaped already (by Popen)
        proc.wait()
        peak = None
    else:
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = exit_peak_kb(rusage)
    _forget_if_empty(proc.pid)
    return proc.returncode, peak


def exit_peak_kb(rusage) -> int | None:
    """ru_maxrss of a reaped child (os.wait4) in kB: Linux counts kB, macOS bytes."""
    if rusage is None or not rusage.ru_maxrss:
        return None
    return rusage.ru_maxrss // 1024 if sys.platform == "darwin" else rusage.ru_maxrss


def _forget_if_empty(pgid: int) -> None:
    """A group with no process left is no longer ours to kill at exit."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        _GROUPS.discard(pgid)


# -- every exit path ---------------------------------------------------------------------------
_GROUPS: set[int] = set()  # process groups started and not yet reaped


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the process group is gone already


def kill_all_groups() -> None:
    """SIGKILL every process group this process started and has not reaped."""
    for pgid in list(_GROUPS):
        _kill_group(pgid)


atexit.register(kill_all_groups)
