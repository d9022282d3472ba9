"""SQS fidelity over moto (a `lab serve` extension): the lab's SQS backend, DLQ move
tasks, and the per-message lifecycle record (`app.services["sqs_lifecycle"]`).

One concern per module, as in moto's service folders:
- models.py: `LabQueue`, `LabSQSBackend` (subclasses of moto's) and `register()`, which
  makes moto's `sqs_backends` build them; HTTP clients and in-process callers get the
  same queue behaviour;
- responses.py / urls.py: moto's SQS responses, aware of the caller, plus the move-task
  actions; protocol.py: the service model they serialise with (JSON and query/XML);
- validation.py: SQS's input rules; exceptions.py: its errors;
- store.py: a queue's messages; lifecycle.py: the record; guard.py: moto's version;
- move_tasks.py: StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask,
  which moto lacks (`app.services["sqs_move_tasks"]`).
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from lab.offline.sqs import guard, models, move_tasks
from lab.offline.sqs.protocol import MOVE_TASK_ACTIONS


def install(app) -> None:
    models.register()
    recorder = models.lifecycle
    tasks = move_tasks.manager
    app.services["sqs_lifecycle"] = recorder
    app.services["sqs_move_tasks"] = tasks

    def is_lifecycle(request: Request) -> bool:
        return request.path == "/_lab/sqs/lifecycle" and request.method == "GET"

    def handle_lifecycle(request: Request) -> Response:
        queue = request.args.get("queue")
        models.advance_all(queue.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
                           if queue else None)
        events = recorder.events(queue=request.args.get("queue"),
                                 message_id=request.args.get("message_id"))
        return Response(json.dumps(events), status=200, content_type="application/json")

    def reset() -> None:
        tasks.reset()
        recorder.clear()  # dedup tables live in the queues' stores, which reset drops

    app.add_route("sqs-lifecycle", is_lifecycle, handle_lifecycle)
    app.on_reset(reset)
    app.on_shutdown(tasks.shutdown)

    changed, degraded = guard.check()
    health = {
        "moto_verified": guard.MOTO_VERIFIED,
        "moto_source_changed": changed,
        "backend": f"{models.__name__}.{models.LabSQSBackend.__name__}",
        "active": dict(models.FIXES),
        "added_actions": list(MOVE_TASK_ACTIONS),
    }
    if degraded:
        app.health_issues["sqs"] = degraded
    elif changed:
        health["note"] = (f"moto's SQS code differs from {guard.MOTO_VERIFIED} "
                          f"({guard.ALLOW_UNVERIFIED_ENV}=1): the lab's SQS fixes run "
                          "unverified")
    app.health_info["sqs_fixes"] = health

