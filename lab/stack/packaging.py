"""Deployment packages built in memory: a handler module from lab/functions or any files."""

from __future__ import annotations

import io
import zipfile
from importlib import resources
from pathlib import Path


def zip_files(files: dict[str, str]) -> bytes:
    """An in-memory deployment zip holding `files` ({archive name: source text})."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, text in files.items():
            zf.writestr(arcname, text)
    return buf.getvalue()


def zip_function(module: str | Path, extra_files: dict[str, str] | None = None) -> bytes:
    """A deployment zip: `module` is a name in lab/functions ("hello") or a .py path.

    The file is stored under its own name, so the handler is `<module>.handler`.
    """
    if isinstance(module, Path) or str(module).endswith(".py"):
        path = Path(module)
        name, source = path.name, path.read_text()
    else:
        name = f"{module}.py"
        source = resources.files("lab.functions").joinpath(name).read_text()
    return zip_files({name: source, **(extra_files or {})})
