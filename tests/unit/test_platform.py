"""Runs where learners are: the process layer is portable (Linux-only calls in one module),
the portable mode uses only what macOS has, and the Makefile needs neither GNU-only tools,
GNU make past 3.81 (macOS's), nor root."""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.offline.lambda_ import processes
from lab.offline.lambda_.environments import BOOT_DIR
from tests.fixtures.common import pid_alive, wait_until

ROOT = Path(__file__).resolve().parents[2]
LINUX_MODULE = ROOT / "lab" / "offline" / "lambda_" / "linux.py"
# bubblewrap is Linux-only by nature: its command line mounts a fresh /proc inside the
# sandbox (an argument, not a read of this machine's /proc)
BWRAP_PROC_MOUNT = ("--proc", "/proc")


def _linux_only_uses(path: Path) -> list[str]:
    """Where `path`'s code names a /proc path (a string, or an f-string's start, it could
    open) or prctl (a name it could call); docstrings, comments and messages that only talk
    about them do not count."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)):  # the bwrap mount argument pair
            values = [getattr(e, "value", None) for e in node.elts]
            for i in range(len(values) - 1):
                if tuple(values[i:i + 2]) == BWRAP_PROC_MOUNT:
                    node.elts[i + 1].value = "<mount point>"
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and node.value.startswith("/proc"):
            found.append(f"{node.lineno}: string {node.value!r}")
        elif isinstance(node, ast.Name) and "prctl" in node.id.lower():
            found.append(f"{node.lineno}: name {node.id}")
        elif isinstance(node, ast.Attribute) and "prctl" in node.attr.lower():
            found.append(f"{node.lineno}: attribute .{node.attr}")
    return found


# -- Linux-only calls live in linux.py ------------------------------------------------------
def test_nothing_in_lab_reads_proc_or_calls_prctl_outside_the_linux_module():
    offenders = [f"{path.relative_to(ROOT)}:{use}"
                 for path in sorted((ROOT / "lab").rglob("*.py")) if path != LINUX_MODULE
                 for use in _linux_only_uses(path)]
    assert not offenders, "Linux-only calls belong in lab/offline/lambda_/linux.py:\n" + \
        "\n".join(offenders)


def test_the_check_sees_what_it_looks_for():
    uses = _linux_only_uses(LINUX_MODULE)
    assert any("string" in u for u in uses) and any("prctl" in u for u in uses), uses


def test_only_the_process_layer_imports_the_linux_module():
    importers = [p.relative_to(ROOT) for p in (ROOT / "lab").rglob("*.py")
                 if re.search(r"(from lab\.offline\.lambda_ import .*\blinux\b|"
                              r"lab\.offline\.lambda_\.linux|from \. import linux)",
                              p.read_text())]
    assert importers == [Path("lab/offline/lambda_/processes.py")]


# -- the portable mode ------------------------------------------------------------------------
def test_lab_portable_forces_the_portable_mode(monkeypatch):
    monkeypatch.setenv("LAB_PORTABLE", "1")
    assert processes.mode() == "portable"
    info = processes.describe()
    assert info["mode"] == "portable" and "LAB_PORTABLE=1" in info["reason"]
    monkeypatch.delenv("LAB_PORTABLE")
    expected = "linux" if sys.platform.startswith("linux") else "portable"
    assert processes.mode() == expected


def test_portable_mode_calls_nothing_linux_only(monkeypatch):
    """With LAB_PORTABLE=1 no function of linux.py runs while environments start, are
    measured and are killed (they would fail on macOS)."""
    from lab.offline.lambda_ import linux

    monkeypatch.setenv("LAB_PORTABLE", "1")
    for fn in ("die_with_parent", "status_kb", "peak_rss_kb", "children"):
        monkeypatch.setattr(linux, fn, _forbidden(fn))
    spawner = processes.Spawner()
    try:
        proc, _ = spawner.spawn([sys.executable, "-c", _TREE], {"PATH": os.environ["PATH"]},
                                str(ROOT))
        tree = processes.ProcessTree(proc.pid)
        assert wait_until(lambda: len(tree.pids()) == 2, 10), "the process and its child"
        now = tree.rss_kb()
        assert now > 1000 and tree.cpu_seconds() is not None
        assert processes.peak_rss_kb(proc.pid) is None  # portable: sampled, not the kernel's
        assert tree.sampled_peak_kb >= now and tree.sample_peak_kb() >= now
        pids = tree.pids()
        tree.kill()
        returncode, exit_peak = processes.wait(proc)
        assert returncode == -signal.SIGKILL and exit_peak and exit_peak > 1000
        assert wait_until(lambda: not any(pid_alive(p) for p in pids), 5)
    finally:
        spawner.stop()


def _forbidden(name):
    def call(*args, **kwargs):
        raise AssertionError(f"linux.{name} called in portable mode")
    return call


_TREE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
time.sleep(60)
"""


def test_the_bootstrap_ends_its_process_group_when_its_parent_dies():
    """No parent-death signal (macOS, LAB_PORTABLE=1): an environment's bootstrap
    (boot/sitecustomize.py) watches its parent and ends its whole process group."""
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, BOOT_DIR],
                              stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(x) for x in parent.stdout.readline().split()]  # env, its child
        assert len(pids) == 2 and all(pid_alive(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)
        assert wait_until(lambda: not any(pid_alive(p) for p in pids), 5), \
            "the environment and its child ended with their parent"
    finally:
        parent.kill()
        parent.wait()


_PARENT = """
import os, subprocess, sys, time
env = {"PATH": os.environ["PATH"], "PYTHONPATH": sys.argv[1],
       "_LAB_PARENT_PID": str(os.getpid())}
child = subprocess.Popen([sys.executable, "-c", '''
import os, subprocess, sys, time
assert "_LAB_PARENT_PID" not in os.environ  # the handler never sees it
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(os.getpid(), grandchild.pid, flush=True)
time.sleep(60)
'''], env=env, start_new_session=True)
time.sleep(60)
"""


def test_the_bootstrap_exits_at_once_if_its_parent_is_already_gone():
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": BOOT_DIR,
           "_LAB_PARENT_PID": "1" if os.getppid() != 1 else "2"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", "import time; time.sleep(30)"], env=env,
                            start_new_session=True, timeout=20)
    assert result.returncode in (137, -signal.SIGKILL)
    assert time.monotonic() - started < 10


def test_every_started_group_is_killed_at_interpreter_exit():
    """`lab serve` leaves nothing behind on an exit path it runs code on (atexit)."""
    out = subprocess.run([sys.executable, "-c", _EXITING], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    pid = int(out.stdout.split()[0])
    assert wait_until(lambda: not pid_alive(pid), 5), out.stderr


_EXITING = """
import os, sys
from lab.offline.lambda_ import processes
spawner = processes.Spawner()
proc, _ = spawner.spawn([sys.executable, "-c", "import time; time.sleep(60)"],
                        {"PATH": os.environ["PATH"]}, ".")
print(proc.pid, flush=True)
# no kill, no wait: the interpreter exits
"""


# -- the Makefile: POSIX sh, make 3.81, no root ------------------------------------------------
def _makefile(comments: bool = False) -> str:
    text = (ROOT / "Makefile").read_text()
    if comments:
        return text
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_the_makefile_uses_no_gnu_only_or_linux_only_tool():
    text = _makefile()
    assert re.search(r"^SHELL := /bin/sh$", text, re.M), "POSIX sh (macOS has no bash 4+)"
    for tool in ("sha256sum", "md5sum", "readlink -f", "realpath", "sed -i", "xargs -r",
                 "grep -P", "nproc", "timeout ", "stat -c", "date -d", "cp --", "install -D"):
        assert tool not in text, f"{tool!r} is GNU- or Linux-only (macOS lacks it)"


def test_the_makefile_needs_nothing_past_gnu_make_3_81():
    """macOS ships GNU make 3.81: no .ONESHELL/undefine (3.82), no != or $(file) (4.x),
    no grouped targets (&:, 4.3), no .RECIPEPREFIX."""
    text = _makefile()
    for feature in (".ONESHELL", "undefine ", "$(file ", "&:", ".RECIPEPREFIX", "$(guile",
                    ".EXTRA_PREREQS", ".SHELLFLAGS"):
        assert feature not in text, f"{feature} needs GNU make newer than 3.81"
    assert not re.search(r"^[A-Za-z_]+\s*!=", text, re.M), "!= needs GNU make 4.0"


def test_make_test_never_needs_root():
    text = _makefile()
    commands = re.sub(r'"[^"\n]*"', '""', text)  # what runs, not the advice it prints
    assert "sudo" not in commands.lower(), "no target asks for a password"
    test_rule = re.search(r"^test:(.*)$", text, re.M).group(1)
    assert "browser" not in test_rule and "system-deps" not in test_rule
    assert "apt-get install" not in _rule(text, "browser"), "browser installs via system-deps"
    deps = _rule(text, "system-deps")
    assert 'id -u' in deps and "exit 1" in deps, "system-deps refuses to run as a user"


def _rule(text: str, target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:.*?(?=^\S|\Z)", text, re.M | re.S)
    return match.group(0)


def test_the_dependency_hash_is_the_same_on_every_platform():
    """The stamp's key is computed by Python (no sha256sum on macOS) and equals the
    sha256 of the two files' concatenation, as before."""
    import hashlib

    out = subprocess.run(["make", "-s", "-f", "-", "print-hash"], cwd=ROOT, text=True,
                         input=_makefile(comments=True) + "\nprint-hash:\n\t@echo $(DEPS_HASH)\n",
                         capture_output=True, timeout=30)
    data = (ROOT / "pyproject.toml").read_bytes() + (ROOT / "environment.yml").read_bytes()
    assert out.stdout.strip() == hashlib.sha256(data).hexdigest()[:16], out.stderr


def test_system_deps_refuses_an_ordinary_user():
    """`make system-deps` is the one target that needs root; an ordinary user is told so.
    Run as root (CI, containers), the check drops to `nobody` with util-linux's setpriv."""
    as_user = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "running as root, setpriv (util-linux) is needed to act as a user"
        as_user = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    # The Makefile comes on stdin and the user works in /: a checkout's folders (a fresh
    # clone under mktemp -d, CI's work tree) need not be open to `nobody`.
    out = subprocess.run([*as_user, "make", "-s", "-f", "-", "system-deps"], cwd="/",
                         input=(ROOT / "Makefile").read_text(), capture_output=True,
                         text=True, timeout=30)
    assert out.returncode != 0 and "needs root" in out.stdout
