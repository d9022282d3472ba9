"""Runs first in every offline Lambda execution environment (it is on PYTHONPATH).

It measures the INIT breakdown from inside the process, without changing what runs
(`python -m awslambdaric <handler>`): it notes when the interpreter is up and, through a
meta path finder, when the runtime starts importing the handler's module (= the runtime is
imported). `lab serve` notes the process start and the runtime's first `next` itself.
The timestamps go to the file named by `_LAB_INIT_TRACE`, which the handler never sees.

Where the OS has no parent-death signal (macOS, or LAB_PORTABLE=1), `lab serve` passes its
pid in `_LAB_PARENT_PID`: a daemon thread then ends this environment's whole process group
as soon as its parent is gone (`lab serve` killed, even by SIGKILL), and so does the
runtime's own exit once its parent is gone, so no environment (nor a child it started)
outlives it on any platform.
"""

import os
import sys
import time

_watched = {"parent": None}  # the pid this process must not outlive (None: not watching)


def _parent_gone() -> bool:
    return _watched["parent"] is not None and os.getppid() != _watched["parent"]


def _end_group() -> None:
    import signal

    try:
        os.killpg(os.getpgid(0), signal.SIGKILL)  # the handler's children too
    finally:
        os._exit(137)


def _at_exit() -> None:
    """The runtime may exit first on its own (its Runtime API vanished with lab serve,
    possibly before the kernel re-parents it): its children must not stay behind. lab
    serve, when alive, kills the group after this exit anyway."""
    import signal

    if _watched["parent"] is None:
        return
    if _parent_gone():
        _end_group()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # not this process: its exit status
    os.killpg(os.getpgid(0), signal.SIGTERM)       # stays the runtime's own


def watch_parent(expected: int) -> None:
    """End this process's group when its parent (`expected`) is gone: checked now, every
    0.2 s by a daemon thread, and at exit. Also called by `_lab_snapstart` in each forked
    (restored) environment, for its template."""
    import atexit
    import threading

    first = _watched["parent"] is None
    _watched["parent"] = expected
    if _parent_gone():  # the parent died while this process started
        _end_group()
    if first:
        atexit.register(_at_exit)

    def watch() -> None:
        while not _parent_gone():
            time.sleep(0.2)
        _end_group()

    threading.Thread(target=watch, name="lab-parent-watch", daemon=True).start()


# A process forked from here (a handler's os.fork, a SnapStart restore) is not watched
# (its thread did not survive the fork) until it asks; it is in this process group anyway.
os.register_at_fork(after_in_child=lambda: _watched.update(parent=None))


def _install() -> None:
    expected = os.environ.pop("_LAB_PARENT_PID", None)
    if expected:
        watch_parent(int(expected))
    trace = os.environ.pop("_LAB_INIT_TRACE", None)
    pythonpath = os.environ.pop("_LAB_PYTHONPATH", None)
    if pythonpath is not None:  # the handler sees Lambda's PYTHONPATH, not this directory
        os.environ["PYTHONPATH"] = pythonpath
    if not trace:
        return
    fd = os.open(trace, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.write(fd, f"interpreter_ready {time.time_ns()}\n".encode())
    module = os.environ.get("_HANDLER", "").rsplit(".", 1)[0].replace("/", ".")
    top = module.split(".")[0]
    if not top:
        os.close(fd)
        return

    class HandlerImportMark:
        """A meta path finder that only notes when the handler's module is first looked up."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == top:
                os.write(fd, f"handler_import_start {time.time_ns()}\n".encode())
                os.close(fd)
                sys.meta_path.remove(HandlerImportMark)
            return None

    sys.meta_path.insert(0, HandlerImportMark)


_install()
del _install
