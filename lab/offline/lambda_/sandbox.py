"""Containment of execution environments: bubblewrap where the OS allows, else plain processes.

With bubblewrap (Debian's `bwrap`, unprivileged user namespaces) each environment gets, as
in Lambda's own sandbox:
- its own user namespace (the handler runs as uid 993, Lambda's `sbx_user1051`, with no
  capabilities), PID namespace and `/proc`: it sees only its own processes, never
  `/proc/<pid>/environ` of `lab serve` or of the notebook kernel that started it;
- a root file system of its own, read-only: the system's `/usr`, `/bin`, `/lib*`, a few
  `/etc` files, the Python installation; the code read-only at `/var/task`; layers at `/opt`;
  a private `/tmp` (tmpfs sized by `EphemeralStorage`, default 512 MB); never the host's
  `/tmp` nor the user's home;
- `--die-with-parent` and `--new-session`: when the environment's sandbox ends (timeout,
  crash, reset, shutdown, `lab serve` killed, even by SIGKILL) the kernel ends every process
  in its PID namespace, `setsid` daemons included.
The network is shared (the handler calls `AWS_ENDPOINT_URL` and its Runtime API on
loopback). Its environment is built from scratch by environments.py: Lambda's variables,
`AWS_ENDPOINT_URL`, fake credentials.

Without bubblewrap (not installed, user namespaces forbidden, `LAB_SANDBOX=none`, or the
portable mode: not Linux, or LAB_PORTABLE=1) environments are plain processes; `lab serve` says so at startup and in `/_lab/health`,
with what is then not contained (`NOT_CONTAINED`). In both modes the process tree is
walked (processes.ProcessTree, portable): its summed RSS counts against `MemorySize` and
every process seen in it is killed with the environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from lab.offline.lambda_ import processes

SANDBOX_UID = 993  # Lambda's sbx_user1051
SANDBOX_GID = 990
TASK = "/var/task"
OPT = "/opt"
RUNTIME = "/var/runtime/lab"  # the INIT-timing sitecustomize and its trace (never on sys.path)
ETC = ("resolv.conf", "hosts", "nsswitch.conf", "host.conf", "gai.conf", "localtime",
       "ssl", "ca-certificates", "ca-certificates.conf", "pki", "crypto-policies",
       "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "mime.types",
       "protocols", "services")
NOT_CONTAINED = ("handlers see every process of this user in /proc (including their "
                 "environment variables), the host's /tmp and file system as this user; "
                 "processes that detach (setsid) after their parent died can outlive the "
                 "environment, and children outlive a SIGKILLed lab serve")


@dataclass(frozen=True)
class Sandbox:
    """How environments are started: `mode` "bubblewrap" or "none", and why."""

    mode: str
    reason: str
    bwrap: str | None = None

    def describe(self) -> dict:
        info = {"mode": self.mode, "reason": self.reason}
        if self.mode == "none":
            info["not_contained"] = NOT_CONTAINED
        return info

    # -- paths as the handler sees them --------------------------------------------------
    def task_root(self, host_task_root: str) -> str:
        return TASK if self.mode == "bubblewrap" else host_task_root

    def runtime_dir(self, host_boot_dir: str) -> str:
        return f"{RUNTIME}/boot" if self.mode == "bubblewrap" else host_boot_dir

    def trace_file(self, host_trace_dir: str) -> str:
        base = f"{RUNTIME}/trace" if self.mode == "bubblewrap" else host_trace_dir
        return f"{base}/init.trace"

    # -- the command -----------------------------------------------------------------------
    def command(self, argv: list[str], *, task_root: str, boot_dir: str, trace_dir: str,
                tmp_mb: int, opt_dir: str | None = None) -> tuple[list[str], str]:
        """(argv, cwd) starting `argv` in this sandbox."""
        if self.mode != "bubblewrap":
            return argv, task_root
        args = [self.bwrap, *_base_args(tmp_mb)]
        args += ["--ro-bind", task_root, TASK]
        if opt_dir:
            args += ["--ro-bind", opt_dir, OPT]
        else:
            args += ["--dir", OPT]
        args += ["--ro-bind", boot_dir, f"{RUNTIME}/boot",
                 "--bind", trace_dir, f"{RUNTIME}/trace",
                 "--remount-ro", "/", "--chdir", TASK, "--", *argv]
        return args, "/"


def _base_args(tmp_mb: int) -> list[str]:
    args = ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(int(tmp_mb) * 1024 * 1024), "--tmpfs", "/tmp"]
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{top}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC:
        path = f"/etc/{name}"
        if os.path.lexists(path):
            args += ["--ro-bind-try", path, path]
    for path in _python_dirs():
        args += ["--ro-bind", path, path]
    return args


def _python_dirs() -> list[str]:
    """The interpreter's installation and site-packages (outside /usr), bound read-only."""
    wanted = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["purelib"],
              sysconfig.get_paths()["platlib"], str(Path(sys.executable).parent)}
    real = {os.path.realpath(p) for p in wanted} | wanted
    # /usr is bound whole already; a venv under /tmp is bound too, on top of the private
    # /tmp (bwrap applies its mounts in order), so a checkout in /tmp runs sandboxed.
    dirs = sorted(p for p in real if os.path.isdir(p) and not p.startswith("/usr/"))
    kept: list[str] = []
    for path in dirs:  # a parent bound already covers its children
        if not any(path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def detect() -> Sandbox:
    """Bubblewrap if it is installed and the OS lets it create namespaces, else "none"."""
    if processes.mode() == "portable":  # bubblewrap is Linux-only
        return Sandbox("none", processes.describe()["reason"] + ": portable mode, which "
                               "has no sandbox")
    forced = os.environ.get("LAB_SANDBOX", "").strip().lower()
    if forced in ("none", "off", "0", "false"):
        return Sandbox("none", f"LAB_SANDBOX={os.environ['LAB_SANDBOX']} forces plain processes")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Sandbox("none", "bubblewrap (bwrap) is not installed "
                               "(Debian/Ubuntu: apt-get install bubblewrap)")
    true = shutil.which("true") or "/bin/true"  # cheap: proves the namespaces and mounts
    probe = [bwrap, *_base_args(1), "--remount-ro", "/", "--", true]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=20,
                                stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Sandbox("none", f"bubblewrap could not start: {exc}")
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        return Sandbox("none", f"the OS refuses bubblewrap's namespaces: {why}")
    return Sandbox("bubblewrap", f"{bwrap}: own user, PID, IPC and UTS namespaces", bwrap)
