"""The lab's SQS responses: moto's SQSResponse, aware of who calls.

moto 5.2.5 never looks at the caller; the lab needs its identity for SenderId and for the
receiver label of HTTP receives. Parsing, the backend call and serialising stay moto's;
`self.sqs_backend` resolves through moto's `sqs_backends`, which builds LabSQSBackends
once `models.register()` ran.
"""

from __future__ import annotations

from moto.sqs.responses import SQSResponse

from lab.offline.sqs import validation
from lab.offline.sqs.models import caller_access_key


class LabSQSResponse(SQSResponse):
    def call_action(self):
        """moto's, with the caller's access key id set for the duration of the action."""
        token = caller_access_key.set(self.get_access_key())
        try:
            return super().call_action()
        finally:
            caller_access_key.reset(token)

    def receive_message(self):
        """moto's, after SQS's own checks of WaitTimeSeconds and MaxNumberOfMessages."""
        validation.receive_parameters(self._get_param("WaitTimeSeconds"),
                                      self._get_param("MaxNumberOfMessages"))
        return super().receive_message()

    def send_message(self):
        """moto's, refusing an empty MessageBody as SQS does (MissingParameter)."""
        validation.message_body(self._get_param("MessageBody"))
        return super().send_message()

    def list_queue_tags(self):
        """moto's, without a `Tags` key when the queue has none (as SQS answers)."""
        result = super().list_queue_tags()
        body = result.result
        if isinstance(body, dict) and not body.get("Tags"):
            body.pop("Tags", None)
        return result
