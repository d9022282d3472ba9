"""A small, real job: hash a block of bytes a few times and return the digest.

Notebook 03 runs this same module two ways: as a Lambda function (one invocation per job)
and inside an always-running worker process. `ENVIRONMENT_ID` is set once per process, at
module scope (INIT), so a caller can tell which environment ran a job and whether it was
new (a cold start) without any lab-specific machinery.
"""

import hashlib
import os
import time
import uuid

ENVIRONMENT_ID = uuid.uuid4().hex  # module scope: runs once per execution environment
_STARTED_AT = time.time()


def handler(event, context):
    size = int(event.get("size_bytes", 65536))
    rounds = int(event.get("rounds", 4))
    block = (str(event.get("job", 0)).encode() * (size // 8 + 1))[:size]
    started = time.perf_counter()
    digest = block
    for _ in range(rounds):
        digest = hashlib.sha256(digest + block).digest()
    return {
        "job": event.get("job"),
        "sha256": digest.hex(),
        "work_ms": round((time.perf_counter() - started) * 1000, 3),
        "environment_id": ENVIRONMENT_ID,
        "environment_started_at": _STARTED_AT,
        "pid": os.getpid(),
    }
