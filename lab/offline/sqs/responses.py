"""The lab's SQS responses: moto's SQSResponse, aware of who calls.

moto 5.2.5 never looks at the caller; the lab needs its identity for SenderId and for the
receiver label of HTTP receives. Parsing, the backend call and serialising stay moto's;
`self.sqs_backend` resolves through moto's `sqs_backends`, which builds LabSQSBackends
once `models.register()` ran.
"""

from __future__ import annotations

from moto.sqs.responses import SQSResponse

from lab.offline.sqs.models import caller_access_key


class LabSQSResponse(SQSResponse):
    def call_action(self):
        """moto's, with the caller's access key id set for the duration of the action."""
        token = caller_access_key.set(self.get_access_key())
        try:
            return super().call_action()
        finally:
            caller_access_key.reset(token)
