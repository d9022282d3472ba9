"""Errors of the lab's SQS layer, typed as moto types its own (moto/sqs/exceptions.py).

AWS errors the lab raises and moto lacks subclass moto's `SQSException`, so moto's
responses serialise them as every other SQS error (responses.py, protocol.py). Errors about
the lab itself (wiring, not AWS behaviour) are plain exceptions with a message that says
what to do.
"""

from __future__ import annotations

from moto.sqs.exceptions import (
    EmptyBatchRequest,
    InvalidParameterValue,
    ReceiptHandleIsInvalid,
    SQSException,
)


class InvalidReceiptHandle(ReceiptHandleIsInvalid):
    """AWS: a receipt handle that is not one (malformed, or of another queue). The message
    names the handle (DeleteMessage with "garbage": LocalStack's AWS-validated
    test_delete_message_with_illegal_receipt_handle)."""

    def __init__(self, handle: object) -> None:
        SQSException.__init__(self, "ReceiptHandleIsInvalid",
                              f'The input receipt handle "{handle}" is not a valid receipt '
                              "handle.")


class MessageNotAvailable(InvalidParameterValue):
    """AWS: ChangeMessageVisibility with the handle of a message that no longer exists
    (deleted, moved to the DLQ, expired, purged)."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"Value {handle} for parameter ReceiptHandle is invalid. Reason: "
                         "Message does not exist or is not available for visibility timeout "
                         "change.")


class EmptyBatch(EmptyBatchRequest):
    """AWS: a batch without entries, naming the action's entry type (moto's words say
    "ChangeMessageVisibilityMessageBatchRequestEntry")."""

    def __init__(self, entry_type: str) -> None:
        SQSException.__init__(self, "AWS.SimpleQueueService.EmptyBatchRequest",
                              f"There should be at least one {entry_type} in the request.")


class InvalidMessageContents(SQSException):
    """AWS: a message body or attribute value with a character outside SQS's set."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidMessageContents", message)


class ResourceNotFound(SQSException):
    """AWS: a move task's queue or task that does not exist (HTTP 404: protocol.py)."""

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class SQSLayerNotInstalled(RuntimeError):
    """moto's SQS backends are moto's own, not the lab's `LabSQSBackend`: the caller needs
    the lab's SQS layer (the `lab.offline.sqs` extension, or `models.register()`)."""

    def __init__(self, backend: object, needed_by: str) -> None:
        super().__init__(
            f"{needed_by} needs the lab's SQS backend, but moto's sqs_backends holds "
            f"{type(backend).__module__}.{type(backend).__qualname__}: install the "
            "'lab.offline.sqs' extension (see lab/offline/app.py EXTENSIONS) or call "
            "lab.offline.sqs.models.register() first")


class SQSRegistrationError(RuntimeError):
    """The lab's SQS backend cannot be registered without losing moto state."""
