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

from lab.offline.cloudformation import models, sam, stacks


def install(app) -> None:
    models.APP["app"] = app
    stacks.apply(models.LAB_MODELS)
    changed = stacks.changed_moto_functions()
    app.health_info["cloudformation"] = {
        "lab_types": sorted(m.cloudformation_type() for m in models.LAB_MODELS),
        "transforms": [sam.SAM_TRANSFORM],
        "moto_changed": changed,
    }
