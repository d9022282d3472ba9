"""The errors the event source mapping API answers, in Lambda's words (moto's
`exceptions.py` style: one class per error, the message built here, not at the raise)."""

from __future__ import annotations

from lab.offline.errors import LabAwsError


class ResourceNotFound(LabAwsError):
    def __init__(self):
        super().__init__("ResourceNotFoundException",
                         "The resource you requested does not exist.", 404)


class ResourceConflict(LabAwsError):
    """CreateEventSourceMapping for a (queue, function) pair that already has a mapping."""

    def __init__(self, queue_arn: str, function_name: str, uuid: str):
        super().__init__(
            "ResourceConflictException",
            f'An event source mapping with SQS arn (" {queue_arn} ") and function '
            f'(" {function_name} ") already exists. Please update or delete the '
            f"existing mapping with UUID {uuid}", 409)


class ResourceInUse(LabAwsError):
    """The mapping is in a transitional state (Creating, Updating, Enabling...)."""

    def __init__(self, action: str):
        super().__init__("ResourceInUseException",
                         f"Cannot {action} the event source mapping because it is in use.", 400)


class InvalidRequestContent(LabAwsError):
    def __init__(self, message: str = "Could not parse request body into json"):
        super().__init__("InvalidRequestContentException", message, 400)


class InvalidParameterValue(LabAwsError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterValueException", message, 400)


class Validation(LabAwsError):
    """A value outside the API model's constraint (`1 validation error detected: ...`)."""

    def __init__(self, member: str, value, constraint: str):
        super().__init__("ValidationException",
                         f"1 validation error detected: Value '{value}' at '{member}' failed to "
                         f"satisfy constraint: {constraint}", 400)


class NonExistentQueue(LabAwsError):
    """CreateEventSourceMapping / UpdateEventSourceMapping for a queue that does not exist:
    Lambda relays SQS's query-protocol error for ReceiveMessage, word for word."""

    def __init__(self):
        super().__init__("InvalidParameterValueException",
                         "Error occurred while ReceiveMessage. SQS Error Code: "
                         "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The "
                         "specified queue does not exist for this wsdl version.", 400)


class NoLambdaService(LabAwsError):
    def __init__(self):
        super().__init__("ServiceException", "lab serve has no Lambda service installed", 500,
                         sender_fault=False)
