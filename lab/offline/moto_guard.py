"""The version guard of the lab's changes to moto: every moto function the lab wraps or
replaces is recorded with the sha256 of its source as shipped in the verified version, so
a moto upgrade that changes one is noticed (`/_lab/health`, a conformance test fails)
before the lab's change is trusted on it.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable


def source_sha256(obj) -> str:
    """sha256 of an object's source (a property: its getter)."""
    target = obj.fget if isinstance(obj, property) else obj
    return hashlib.sha256(inspect.getsource(target).encode()).hexdigest()


class MotoGuard:
    """The moto functions one set of changes depends on, with their verified digests.

    `wrap(cls, name, make)` replaces `cls.name` by `make(original)` once (idempotent) and
    remembers the original for `changed()`.
    """

    def __init__(self, verified_version: str, digests: dict[str, str],
                 classes: dict[str, type]):
        self.verified_version = verified_version
        self.digests = digests
        self.classes = classes  # class name -> class, for keys "Class.function"
        self._originals: dict[str, object] = {}

    def original(self, cls, name: str):
        key = f"{cls.__name__}.{name}"
        if key not in self._originals:
            self._originals[key] = cls.__dict__[name]
        return self._originals[key]

    def wrap(self, cls, name: str, make: Callable[[Callable], Callable]) -> None:
        if getattr(cls.__dict__.get(name), "_lab_wrapped", False):
            return
        new = make(self.original(cls, name))
        new._lab_wrapped = True
        setattr(cls, name, new)

    def changed(self) -> list[str]:
        """Recorded functions whose moto source differs from the verified version's."""
        out = []
        for key, digest in self.digests.items():
            cls_name, name = key.split(".", 1)
            obj = self._originals.get(key) or self.classes[cls_name].__dict__.get(name)
            if obj is None or source_sha256(obj) != digest:
                out.append(key)
        return out
