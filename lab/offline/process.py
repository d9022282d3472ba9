"""Start `lab serve` as a child process that cannot outlive its parent.

The child is started with `--exit-with-parent`: it watches its parent (re-parenting means
the parent died, even by SIGKILL) and says so on stderr; this module also stops it at
interpreter exit. Its output goes to a log file.
"""

from __future__ import annotations

import atexit
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

READY_PREFIX = "lab serve: ready at "


class ServeProcess:
    """A running `lab serve` child: `.url`, `.pid`, `.log_path`, `.stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0,
                 env: dict[str, str] | None = None, args: list[str] | None = None):
        fd, self.log_path = tempfile.mkstemp(prefix="lab-serve-", suffix=".log")
        self._log = os.fdopen(fd, "w", buffering=1)
        child_env = dict(os.environ, LAB_SERVE_PARENT_PID=str(os.getpid()))  # --exit-with-parent
        child_env.update(env or {})
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "lab", "serve", "--host", host, "--port", str(port),
             "--exit-with-parent", *(args or [])],
            stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
            text=True, env=child_env,
        )
        self.pid = self._proc.pid
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        self.url = self._await_ready(lines, timeout)
        atexit.register(self.stop)

    def _pump(self, lines: queue.Queue) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._log.write(line)
            lines.put(line)
        lines.put(None)

    def _await_ready(self, lines: queue.Queue, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"lab serve did not become ready in {timeout} s; "
                                   f"log: {self.log_path}") from None
            if line is None:
                self._proc.wait()
                with open(self.log_path) as fh:
                    tail = fh.read()[-2000:]
                raise RuntimeError(f"lab serve exited with {self._proc.returncode}:\n{tail}")
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX):].strip()

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        atexit.unregister(self.stop)
