"""The code cache: each deployment package unzipped once, keyed by its CodeSha256.

The directory is the function's `/var/task` (LAMBDA_TASK_ROOT, the working directory of
its environments). Environments of every version and function sharing a package share it.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import zipfile

from lab.offline.lambda_.exceptions import InvalidZipFile


class CodeCache:
    """Unzipped deployment packages under `<scratch>/code/<CodeSha256>`."""

    def __init__(self, scratch: str):
        self._root = os.path.join(scratch, "code")
        self._lock = threading.Lock()

    def task_root(self, code_sha: str, package: bytes) -> str:
        """The directory holding `package` unzipped; unzips it on first use (InvalidZipFile
        if it is not a zip file). An empty package gives an empty directory."""
        root = os.path.join(self._root, code_sha or "empty")
        with self._lock:
            if not os.path.isdir(root):
                self._unzip(package, root)
        return root

    @staticmethod
    def _unzip(package: bytes, root: str) -> None:
        tmp = root + ".tmp"  # renamed into place once complete
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        if package:
            try:
                with zipfile.ZipFile(io.BytesIO(package)) as zf:
                    zf.extractall(tmp)
            except zipfile.BadZipFile:
                raise InvalidZipFile() from None
        os.rename(tmp, root)
