"""SQS fidelity over moto (a `lab serve` extension): the lab's SQS backend, DLQ move
tasks, and the per-message lifecycle record (`app.services["sqs_lifecycle"]`).

One concern per module, as in moto's service folders:
- models.py: `LabQueue`, `LabSQSBackend` (subclasses of moto's) and `register()`, which
  makes moto's `sqs_backends` build them; HTTP clients and in-process callers get the
  same queue behaviour;
- responses.py / urls.py: moto's SQS responses, aware of the caller; exceptions.py;
- store.py: a queue's messages; lifecycle.py: the record; guard.py: moto's version;
- move_tasks.py: StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask,
  which moto lacks, served by their `X-Amz-Target: AmazonSQS.<Action>` header (JSON).
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, json_response
from lab.offline.sqs import guard, models
from lab.offline.sqs.move_tasks import MoveTaskManager

SQS_JSON_ERROR_PREFIX = "com.amazonaws.sqs#"
MOVE_TASK_ACTIONS = ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask")
_TARGETS = {f"AmazonSQS.{a}": a for a in MOVE_TASK_ACTIONS}


def install(app) -> None:
    models.register()
    recorder = models.lifecycle
    tasks = MoveTaskManager(recorder)
    app.services["sqs_lifecycle"] = recorder
    app.services["sqs_move_tasks"] = tasks

    def is_move_task(request: Request) -> bool:
        return request.method == "POST" and request.headers.get("X-Amz-Target") in _TARGETS

    def handle_move_task(request: Request) -> Response:
        action = _TARGETS[request.headers["X-Amz-Target"]]
        try:
            try:
                params = json.loads(request.get_data() or b"{}")
            except ValueError:
                raise LabAwsError("InvalidParameterValue", "The request body is not JSON.") from None
            if not isinstance(params, dict):
                raise LabAwsError("InvalidParameterValue", "The request body is not an object.")
            if action == "StartMessageMoveTask":
                _require(params, "SourceArn")
                handle = tasks.start(params["SourceArn"], params.get("DestinationArn"),
                                     params.get("MaxNumberOfMessagesPerSecond"))
                return json_response({"TaskHandle": handle})
            if action == "ListMessageMoveTasks":
                _require(params, "SourceArn")
                return json_response({"Results": tasks.list(params["SourceArn"],
                                                            params.get("MaxResults"))})
            _require(params, "TaskHandle")
            return json_response({"ApproximateNumberOfMessagesMoved":
                                  tasks.cancel(params["TaskHandle"])})
        except LabAwsError as exc:
            return exc.to_response(json_type_prefix=SQS_JSON_ERROR_PREFIX)

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

    app.add_route("sqs-move-tasks", is_move_task, handle_move_task)
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


def _require(params: dict, name: str) -> None:
    if not params.get(name):
        raise LabAwsError("MissingParameter",
                          f"The request must contain the parameter {name}.", 400)
