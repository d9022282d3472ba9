"""CloudFormation (and SAM templates) on the lab's services (a `lab serve` extension).

moto answers the CloudFormation API and creates what it models (queues, roles, functions,
buckets, ...). This extension extends it the way moto extends itself:
- `models.py`: `CloudFormationModel` subclasses for what the lab serves itself: event source
  mappings (the lab's, polled), HTTP API objects (served by the lab's data plane), queue
  policies; moto's parser dispatches on their `cloudformation_type()`.
- `stacks.py`: a subclass of moto's CloudFormation backend, bound through its BackendDict:
  the SAM transform, CREATE_FAILED + rollback for what cannot be created, resource events,
  outputs after ExecuteChangeSet, DeleteChangeSet errors.
- `sam.py`: the `AWS::Serverless-2016-10-31` transform with AWS's translator, offline.
"""

from __future__ import annotations

import threading

# moto's CloudFormation parser imports every moto service (seconds of start-up on a small
# machine), so the lab's part is bound on the first CloudFormation request, not at start.
_lock = threading.Lock()
_active: list[bool] = []


def is_cloudformation(request) -> bool:
    """A request signed for CloudFormation (SigV4 credential scope .../cloudformation/...);
    looks at headers only, never the body."""
    return "/cloudformation/aws4_request" in request.headers.get("Authorization", "")


def activate(app) -> None:
    """Bind the lab's backend and resource types (once, thread-safe)."""
    with _lock:
        if _active:
            return
        from lab.offline.cloudformation import models, sam, stacks

        models.APP["app"] = app
        stacks.apply(models.LAB_MODELS)
        changed = stacks.changed_moto_functions()
        app.health_info["cloudformation"] = {
            "loaded": True,
            "lab_types": sorted(m.cloudformation_type() for m in models.LAB_MODELS),
            "transforms": [sam.SAM_TRANSFORM],
            "moto_changed": changed,
        }
        if changed:
            app.health_issues["cloudformation"] = (
                "moto's CloudFormation code differs from the verified version in "
                + ", ".join(changed))
        _active.append(True)


def install(app) -> None:
    app.health_info["cloudformation"] = {
        "loaded": False, "note": "bound on the first CloudFormation request"}

    def handle(request):
        activate(app)
        return app.forward_to_moto(request)

    app.add_route("cloudformation", is_cloudformation, handle)
