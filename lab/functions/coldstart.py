"""A handler for the cold-start experiments: imports the packages named in `LAB_IMPORTS`
(comma-separated) at INIT and reports, from inside, how long those imports and the rest of
the module's init code took. Standard library + boto3 only.

Returns `{"env_started_ms", "imports_ms", "init_code_ms", "invocation", "request_id"}`:
`invocation` counts the calls this environment has served (1 = the cold one).
"""

import importlib
import os
import time

_t0 = time.perf_counter()
_ENV_STARTED_MS = time.time() * 1000
for _name in filter(None, (os.environ.get("LAB_IMPORTS") or "").split(",")):
    importlib.import_module(_name.strip())
_IMPORTS_MS = (time.perf_counter() - _t0) * 1000
_t1 = time.perf_counter()
_INIT_WORK_MS = float(os.environ.get("LAB_INIT_WORK_MS", "0"))
if _INIT_WORK_MS:  # stand-in for init code: loading a model, a config, a connection pool
    time.sleep(_INIT_WORK_MS / 1000)
_INIT_CODE_MS = (time.perf_counter() - _t1) * 1000
_calls = 0


def handler(event, context):
    global _calls
    _calls += 1
    return {"env_started_ms": _ENV_STARTED_MS, "imports_ms": _IMPORTS_MS,
            "init_code_ms": _INIT_CODE_MS, "invocation": _calls,
            "request_id": context.aws_request_id}
