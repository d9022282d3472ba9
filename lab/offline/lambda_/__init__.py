"""Offline Lambda for `lab serve`: Invoke runs handlers in real execution environments.

moto keeps the control plane (create_function, versions, aliases, concurrency, event
invoke configs); this extension answers the data plane on the same port:
- `POST /2015-03-31/functions/{name}/invocations` (boto3 `invoke`), and the old
  `POST /2014-11-13/functions/{name}/invoke-async/`;
- `GET /_lab/lambda/invocations?function=NAME`: one JSON record per invocation
  (request_id, environment_id, cold, init_breakdown_ms, start_ms/end_ms epoch ms,
  duration_ms, billed_duration_ms, max_memory_used_mb, ...);
- `GET /_lab/lambda/environments`: live execution environments (pid, state, RSS);
- `GET|POST /_lab/lambda/config`: keep_alive_s, init_timeout_s, async_retry_delays_s,
  account_concurrency (see settings.Settings; a reset does not undo them).
Other extensions call `app.services["lambda"].invoke(...)` (docs/architecture.md).
Python runtimes run on the project's own interpreter; other runtimes are refused.
"""

from __future__ import annotations

import platform
import sys

from lab.offline.lambda_ import control, processes
from lab.offline.lambda_.api import LambdaApi
from lab.offline.lambda_.provisioned import ProvisionedApi
from lab.offline.lambda_.service import InvokeResult, LambdaService

__all__ = ["install", "InvokeResult", "LambdaService"]


def install(app) -> LambdaService:
    service = LambdaService(app.context)
    control.apply(service.settings)
    app.services["lambda"] = service
    routes = LambdaApi(service, app.context.default_region).routes()
    routes += ProvisionedApi(service.provisioned, app.context.default_region).routes()
    for name, matches, handle in routes:
        app.add_route(name, matches, handle)
    app.on_reset(service.reset)
    app.on_shutdown(service.shutdown)
    app.health_info["lambda"] = {
        "invoke": "real execution environments: python -m awslambdaric per environment",
        "python_runtimes": "each python3.x Runtime runs on a matching interpreter when one "
                           "is present (the interpreters setting, python3.X on PATH), else "
                           f"on the lab's own, Python {platform.python_version()} "
                           f"({sys.executable})",
        "interpreters": service.interpreters_used,  # runtime -> what it ran on, so far
        "other_runtimes": "refused with InvalidRuntimeException",
        # how environments are started, measured and cleaned up here (Linux or portable)
        "processes": processes.describe(),
        "config": "/_lab/lambda/config",
        "control_plane_fixes": {
            "moto_verified": control.MOTO_VERIFIED,
            "moto_source_changed": control.GUARD.changed(),
            "states": "Pending/InProgress for state_delay_s, RevisionId preconditions, "
                      "AWS's configuration shape (lab/offline/lambda_/control.py)",
        },
    }
    app.health_info["sandbox"] = service.sandbox.describe()
    return service
