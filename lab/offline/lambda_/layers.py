"""Lambda layers offline: a function's layers extracted where Lambda puts them.

https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html and
packaging-layers.html: each layer's zip is extracted under `/opt`, in the order of the
function's `Layers` (a later layer's file replaces an earlier one's); for Python,
`/opt/python` and `/opt/python/lib/python3.X/site-packages` are on `sys.path`. At most 5
layers; function and layers together at most 250 MB unzipped.

`materialise()` returns host directories with the mount point each stands for
(`Mount(host, target)`), so an environment can mount them (a sandbox binds `host` at
`target`) or, without a sandbox, put `python_paths()` on PYTHONPATH in order.

AWS's public Powertools for AWS Lambda (Python) layers (account 017000801446, e.g.
`arn:aws:lambda:<region>:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:<n>`)
resolve to the aws-lambda-powertools installed with the lab (a MODEL: its version, not
the layer version's).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import re
import shutil
import threading
import zipfile
from dataclasses import dataclass

POWERTOOLS_ACCOUNT = "017000801446"
POWERTOOLS_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:017000801446:layer:AWSLambdaPowertoolsPython[\w-]*:\d+$")
UNZIPPED_LIMIT = 262_144_000  # 250 MB: function and all its layers, unzipped
# Powertools and the packages its layer ships with (its core needs only these two).
POWERTOOLS_PACKAGES = ("aws_lambda_powertools", "jmespath", "typing_extensions")


def is_powertools_arn(arn: str) -> bool:
    return bool(POWERTOOLS_ARN.match(arn or ""))


@dataclass(frozen=True)
class Mount:
    """A host directory and the path it stands for inside the environment (`/opt`)."""

    host: str
    target: str


def python_paths(mounts: list[Mount]) -> list[str]:
    """Host paths for PYTHONPATH, as Lambda's Python runtimes put /opt on sys.path."""
    paths = []
    for mount in mounts:  # Lambda's order: /opt/python/lib/python3.X/site-packages, /opt/python
        python = os.path.join(mount.host, "python")
        lib = os.path.join(python, "lib")
        if os.path.isdir(lib):
            paths += [os.path.join(lib, d, "site-packages") for d in sorted(os.listdir(lib))]
        paths.append(python)
    return paths


def unzipped_size(package: bytes) -> int:
    if not package:
        return 0
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            return sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        return 0


class LayerStore:
    """Layer combinations extracted once under `<scratch>/opt/<hash of the layer shas>`."""

    def __init__(self, scratch: str):
        self._root = os.path.join(scratch, "opt")
        self._lock = threading.Lock()

    def materialise(self, layers: list[tuple[str, bytes, str]]) -> list[Mount]:
        """`layers` = [(arn, zip bytes, CodeSha256)] in the function's order -> one `/opt`
        (later layers overwrite earlier files, as Lambda extracts them in order); [] without
        layers."""
        if not layers:
            return []
        key = hashlib.sha256("|".join(f"{arn}@{sha}" for arn, _, sha in layers).encode()
                             ).hexdigest()[:32]
        root = os.path.join(self._root, key)
        with self._lock:
            if not os.path.isdir(root):
                tmp = root + ".tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                os.makedirs(tmp)
                for arn, package, _ in layers:
                    if is_powertools_arn(arn):
                        _copy_powertools(os.path.join(tmp, "python"))
                    elif package:
                        with zipfile.ZipFile(io.BytesIO(package)) as zf:
                            zf.extractall(tmp)
                os.rename(tmp, root)
        return [Mount(root, "/opt")]


def _copy_powertools(target: str) -> None:
    """The installed aws-lambda-powertools (and its layer's companions) under `target`."""
    os.makedirs(target, exist_ok=True)
    for name in POWERTOOLS_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            continue
        if spec.submodule_search_locations:  # a package
            src = list(spec.submodule_search_locations)[0]
            shutil.copytree(src, os.path.join(target, name), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(spec.origin, target)


def powertools_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("aws-lambda-powertools")
    except Exception:
        return None
