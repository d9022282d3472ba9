"""Which Python runs a function: an interpreter matching its declared runtime if present.

A function declaring `python3.12` runs on, in order: the interpreter the `interpreters`
setting names for `python3.12` (`/_lab/lambda/config`, `LAB_LAMBDA_INTERPRETERS=
"python3.12=/usr/bin/python3.12,..."`), `python3.12` on PATH, else the lab's own
interpreter. A candidate must be able to import awslambdaric (AWS's runtime client, which
the lab runs in every environment); one that cannot is skipped, and the note says so.
The choice is written to the function's log at INIT and shown in `/_lab/health`.

When the function runs on another Python than it declares and its INIT fails importing
code, `explain_import_error` adds why (compiled extensions are built per CPython version:
`pip install --python-version 3.12 --only-binary=:all: --target ...`, the AWS-documented
way, gives `*.cpython-312-*.so` files) and how to fix it.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field

LAB_VERSION = ".".join(platform.python_version_tuple()[:2])
_COMPILED = re.compile(r"\.cpython-(\d)(\d+)[^/]*\.so$|\.abi3\.so$")
_probe_lock = threading.Lock()
_probed: dict[str, str | None] = {}  # interpreter path -> "3.X" if it can run awslambdaric


@dataclass(frozen=True)
class Interpreter:
    """The interpreter an environment runs on and why."""

    runtime: str  # the function's declared Runtime, e.g. "python3.12"
    path: str
    version: str  # "3.11"
    source: str  # "setting" | "PATH" | "lab"
    notes: tuple[str, ...] = field(default=())

    @property
    def declared_version(self) -> str | None:
        found = re.fullmatch(r"python(\d+\.\d+)", self.runtime or "")
        return found.group(1) if found else None

    @property
    def matches(self) -> bool:
        return self.declared_version == self.version

    def describe(self) -> str:
        how = {"setting": "named by the interpreters setting", "PATH": "found on PATH",
               "lab": "lab serve's own interpreter"}[self.source]
        text = (f"lab: Runtime {self.runtime} runs on Python {self.version} ({self.path}, "
                f"{how})")
        if not self.matches:
            text += f"; it does NOT match {self.runtime}"
        return text + "".join(f"; {note}" for note in self.notes)


def configured_from_env() -> dict[str, str]:
    raw = os.environ.get("LAB_LAMBDA_INTERPRETERS", "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


def probe(path: str) -> str | None:
    """"3.X" if `path` runs and can import awslambdaric, else None (cached)."""
    with _probe_lock:
        if path in _probed:
            return _probed[path]
    if os.path.realpath(path) == os.path.realpath(sys.executable):
        version = LAB_VERSION
    else:
        try:
            out = subprocess.run(
                [path, "-c", "import sys, awslambdaric; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
            version = out.stdout.strip() if out.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            version = None
    with _probe_lock:
        _probed[path] = version
    return version


def choose(runtime: str, configured: dict[str, str] | None = None) -> Interpreter:
    notes = []
    candidates = []
    named = (configured or {}).get(runtime)
    if named:
        candidates.append((named, "setting"))
    on_path = shutil.which(runtime) if re.fullmatch(r"python\d+\.\d+", runtime or "") else None
    if on_path:
        candidates.append((on_path, "PATH"))
    for path, source in candidates:
        version = probe(path)
        if version:
            return Interpreter(runtime, path, version, source, tuple(notes))
        notes.append(f"{path} ({source}) cannot run awslambdaric: install it there "
                     f"({path} -m pip install awslambdaric) to use it")
    if not candidates and runtime != f"python{LAB_VERSION}":
        notes.append(f"no {runtime} on PATH or in the interpreters setting")
    return Interpreter(runtime, sys.executable, LAB_VERSION, "lab", tuple(notes))


def compiled_for_other_python(roots: list[str], version: str, limit: int = 3) -> list[str]:
    """Up to `limit` compiled extension files under `roots` built for another CPython."""
    want = version.replace(".", "")
    found = []
    for root in roots:
        for base, _, files in os.walk(root):
            for name in files:
                tag = _COMPILED.search(name)
                if tag and tag.group(1) and f"{tag.group(1)}{tag.group(2)}" != want:
                    found.append(os.path.relpath(os.path.join(base, name), root))
                    if len(found) >= limit:
                        return found
    return found


def explain_import_error(body: bytes, interpreter: Interpreter, roots: list[str]) -> bytes:
    """An INIT error document, with why and how to fix it appended when the function runs
    on another Python than it declares and holds compiled code built for another one."""
    if interpreter.matches:
        return body
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if not isinstance(doc, dict) or "ImportModuleError" not in str(doc.get("errorType")):
        return body
    compiled = compiled_for_other_python(roots, interpreter.version)
    if not compiled:
        return body
    doc["errorMessage"] = (
        f"{doc.get('errorMessage', '')} -- lab serve: this function declares "
        f"{interpreter.runtime} but runs on Python {interpreter.version} "
        f"({interpreter.path}), and its package holds compiled extensions built for another "
        f"Python ({', '.join(compiled)}), which Python {interpreter.version} cannot import. "
        f"Fix: install {interpreter.runtime} with awslambdaric "
        f"({interpreter.runtime} -m pip install awslambdaric) on PATH or name it with "
        f"POST /_lab/lambda/config {{\"interpreters\": {{\"{interpreter.runtime}\": "
        "\"/path/to/python\"}}, or declare the Runtime matching the lab's Python, or build "
        f"the package for Python {interpreter.version} to run it offline.")
    return json.dumps(doc).encode()
