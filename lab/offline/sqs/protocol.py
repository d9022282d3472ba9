"""The SQS service model the lab's responses serialise with: moto's, plus what AWS answers
and moto's model lacks.

moto 5.2.5 serialises every SQS answer, JSON or query (XML), from its service model
(botocore's JSON model merged with moto's `service-2.moto-extras.json`). Its extras carry
the query protocol's traits for the actions moto implements, not for the move tasks, whose
XML it would get wrong (`<ListMessageMoveTasksResultResult>`, one `<Results>` per task).
`EXTRAS` adds, in the same merge format:
- the query traits of StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask,
  as in botocore's SQS query-protocol model (the last one before SQS moved to JSON,
  botocore commit 79c92132, kept in LocalStack as
  localstack-core/localstack/aws/data/sqs-query/2012-11-05/service-2.json);
- ResourceNotFoundException's HTTP 404 (same model; LocalStack's AWS-recorded
  test_sqs_move_task.snapshot.json: test_destination_needs_to_exist answers 404);
- InvalidParameterValue as the shape AWS names it on the JSON protocol,
  `InvalidParameterValueException` (botocore's `QueryErrorCode` in LocalStack's
  AWS-recorded snapshots, e.g. test_send_oversized_message), with the legacy code
  `InvalidParameterValue` that `x-amzn-query-error` carries and boto3 shows as the code.
"""

from __future__ import annotations

import copy
import functools

ERROR_NAMESPACE = "com.amazonaws.sqs"
MOVE_TASK_ACTIONS = ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask")

EXTRAS = {
    "operations": {action: {"output": {"resultWrapper": f"{action}Result"}}
                   for action in MOVE_TASK_ACTIONS},
    "shapes": {
        "ListMessageMoveTasksResultEntryList": {
            "member": {"locationNameForQueryCompatibility": "ListMessageMoveTasksResultEntry"}},
        "ResourceNotFoundException": {
            "error": {"code": "ResourceNotFoundException", "httpStatusCode": 404,
                      "senderFault": True}},
        "InvalidParameterValueException": {
            "type": "structure", "members": {"message": {"shape": "ExceptionMessage"}},
            "exception": True,
            "error": {"code": "InvalidParameterValue", "httpStatusCode": 400,
                      "senderFault": True}},
    },
}


@functools.cache
def service_model():
    """moto's SQS service model with `EXTRAS` merged in (a copy: moto's stays as it is)."""
    from botocore.utils import merge_dicts
    from moto.core.loaders import create_loader
    from moto.core.model import ServiceModel

    description = copy.deepcopy(create_loader().load_service_model("sqs", "service-2"))
    merge_dicts(description, copy.deepcopy(EXTRAS))
    return ServiceModel(description, "sqs")


@functools.cache
def json_error_shape(code: str) -> str:
    """The shape (`__type` name) of the SQS error whose legacy code is `code`, e.g.
    QueueDoesNotExist for AWS.SimpleQueueService.NonExistentQueue; `code` itself if the
    model has none (errors the lab raises outside moto: requests.error_for)."""
    for shape in service_model().error_shapes:
        if shape.metadata.get("error", {}).get("code", shape.name) == code:
            return shape.name
    return code
