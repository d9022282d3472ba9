"""Errors of the lab's SQS layer, typed as moto types its own (moto/sqs/exceptions.py).

AWS errors the lab raises and moto lacks subclass moto's `SQSException`, so moto's
responses serialise them as every other SQS error. Errors about the lab itself (wiring,
not AWS behaviour) are plain exceptions with a message that says what to do.
"""

from __future__ import annotations

from moto.sqs.exceptions import SQSException


class MessageNotInflight(SQSException):
    """AWS: ChangeMessageVisibility on a message that is not in flight."""

    def __init__(self) -> None:
        super().__init__("AWS.SimpleQueueService.MessageNotInflight",
                         "The specified message isn't in flight.")


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
