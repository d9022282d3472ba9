"""SQS fidelity over moto: fixes for moto 5.2.5's gaps, DLQ move tasks, and the
per-message lifecycle record (`app.services["sqs_lifecycle"]`).

The fixes patch moto's SQS model layer in this process (`patches.py`), so HTTP clients
and in-process callers see the same queue behaviour. The move-task actions, which moto
lacks, are served here by their `X-Amz-Target: AmazonSQS.<Action>` header (JSON protocol).
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, json_response
from lab.offline.sqs import json_attributes, patches
from lab.offline.sqs.move_tasks import MoveTaskManager

SQS_JSON_ERROR_PREFIX = "com.amazonaws.sqs#"
MOVE_TASK_ACTIONS = ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask")
_TARGETS = {f"AmazonSQS.{a}": a for a in MOVE_TASK_ACTIONS}


def install(app) -> None:
    active = patches.apply()
    json_attributes.apply()  # RedrivePolicy as compact JSON, as SQS returns it
    recorder = patches.recorder
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
        patches.advance_all(queue.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
                            if queue else None)
        events = recorder.events(queue=request.args.get("queue"),
                                 message_id=request.args.get("message_id"))
        return Response(json.dumps(events), status=200, content_type="application/json")

    def reset() -> None:
        tasks.reset()
        recorder.clear()  # dedup tables live on moto's Queue objects, which reset drops

    app.add_route("sqs-move-tasks", is_move_task, handle_move_task)
    app.add_route("sqs-lifecycle", is_lifecycle, handle_lifecycle)
    app.on_reset(reset)
    app.on_shutdown(tasks.shutdown)
    app.health_info["sqs_fixes"] = {
        "moto_verified": patches.MOTO_VERIFIED,
        "moto_source_changed": patches.changed_moto_functions(),
        "active": {name: patches.FIXES[name][1] for name in active},
        "added_actions": list(MOVE_TASK_ACTIONS),
    }


def _require(params: dict, name: str) -> None:
    if not params.get(name):
        raise LabAwsError("MissingParameter",
                          f"The request must contain the parameter {name}.", 400)
