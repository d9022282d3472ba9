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

UNZIPPED_LIMIT = 262_144_000  # 250 MB (gettingstarted-limits); checked at CreateFunction too


def _dirname(code_sha: str) -> str:
    """A directory name for a CodeSha256 (base64: "/" and "+" are not safe in a name)."""
    return code_sha.replace("/", "_").replace("+", "-") if code_sha else "empty"


class CodeCache:
    """Unzipped deployment packages under `<scratch>/code/<CodeSha256>`; `prune(keep)`
    removes the packages no function version (nor a live environment) uses any more."""

    def __init__(self, scratch: str):
        self._root = os.path.join(scratch, "code")
        self._lock = threading.Lock()

    def task_root(self, code_sha: str, package: bytes) -> str:
        """The directory holding `package` unzipped; unzips it on first use (InvalidZipFile
        if it is not a zip file). An empty package gives an empty directory."""
        root = os.path.join(self._root, _dirname(code_sha))
        with self._lock:
            if not os.path.isdir(root):
                self._unzip(package, root)
        return root

    def prune(self, keep: set[str]) -> list[str]:
        """Remove every unzipped package whose CodeSha256 is not in `keep`; the removed."""
        removed = []
        keep = {_dirname(sha) for sha in keep}
        with self._lock:
            try:
                names = os.listdir(self._root)
            except FileNotFoundError:
                return removed
            for name in names:
                if name.removesuffix(".tmp") not in keep:
                    shutil.rmtree(os.path.join(self._root, name), ignore_errors=True)
                    removed.append(name)
        return removed

    @staticmethod
    def _unzip(package: bytes, root: str) -> None:
        tmp = root + ".tmp"  # renamed into place once complete
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        if package:
            try:
                with zipfile.ZipFile(io.BytesIO(package)) as zf:
                    if sum(i.file_size for i in zf.infolist()) > UNZIPPED_LIMIT:
                        raise zipfile.BadZipFile("unzipped size over Lambda's limit")
                    zf.extractall(tmp)
            except zipfile.BadZipFile:
                raise InvalidZipFile() from None
        os.rename(tmp, root)
