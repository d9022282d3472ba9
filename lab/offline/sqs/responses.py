"""The lab's SQS responses: moto's SQSResponse, aware of who calls, serving the move-task
actions moto lacks, serialising with the lab's service model (protocol.py).

moto 5.2.5 never looks at the caller; the lab needs its identity for SenderId and for the
receiver label of HTTP receives. Parsing, the backend call and serialising stay moto's, for
both protocols (JSON and query/XML); `self.sqs_backend` resolves through moto's
`sqs_backends`, which builds LabSQSBackends once `models.register()` ran.
"""

from __future__ import annotations

from botocore.model import OperationNotFoundError
from moto.core.model import OperationModel
from moto.core.responses import ActionContext, ActionResult
from moto.core.serialize import get_serializer_class
from moto.sqs.exceptions import MissingParameter
from moto.sqs.responses import SQSResponse

from lab.offline.sqs import move_tasks, protocol, validation
from lab.offline.sqs.models import caller_access_key

DLQ_SOURCE_ATTRIBUTE = "DeadLetterQueueSourceArn"


class LabSQSResponse(SQSResponse):
    def call_action(self):
        """moto's, with the caller's access key id set for the duration of the action."""
        token = caller_access_key.set(self.get_access_key())
        try:
            return super().call_action()
        finally:
            caller_access_key.reset(token)

    def serialized(self, action_result: ActionResult):
        """moto's (BaseResponse.serialized) with the lab's SQS service model, which adds
        what AWS answers and moto's model lacks (protocol.py)."""
        service_model = protocol.service_model()
        try:
            operation_model = service_model.operation_model(self._get_action())
        except OperationNotFoundError:
            operation_model = OperationModel({}, service_model)
        serializer_cls = get_serializer_class(service_model.service_name,
                                              self.determine_response_protocol(service_model))
        context = ActionContext(service_model, operation_model, serializer_cls, self)
        status_code, headers, body = action_result.execute_result(context)
        headers.update(self.response_headers)
        return status_code, headers, body

    def receive_message(self):
        """moto's, after SQS's own checks of WaitTimeSeconds and MaxNumberOfMessages, with
        the DeadLetterQueueSourceArn system attribute moto does not know: the ARN of the
        queue a message was dead-lettered from, returned for "All" or its name (LocalStack's
        AWS-recorded test_dead_letter_queue_message_attributes)."""
        validation.receive_parameters(self._get_param("WaitTimeSeconds"),
                                      self._get_param("MaxNumberOfMessages"))
        result = super().receive_message()
        names = {*self._get_param("AttributeNames", []),
                 *self._get_param("MessageSystemAttributeNames", [])}
        messages = (result.result or {}).get("Messages") if isinstance(result.result, dict) \
            else None
        if messages and names & {"All", DLQ_SOURCE_ATTRIBUTE}:
            store = self.sqs_backend.get_queue(self._get_queue_name()).store
            with store.cond:
                sources = {m["MessageId"]: getattr(store.messages.get(m["MessageId"]),
                                                   "dlq_source_arn", None) for m in messages}
            for msg in messages:
                if sources[msg["MessageId"]]:
                    msg.setdefault("Attributes", {})[DLQ_SOURCE_ATTRIBUTE] = \
                        sources[msg["MessageId"]]
        return result

    def send_message(self):
        """moto's, after the lab's checks of the message (an empty MessageBody is
        MissingParameter; characters, attributes), so they answer in SQS's words first."""
        validation.message(self._get_param("MessageBody"),
                           self._get_param("MessageAttributes", {}))
        return super().send_message()

    def send_message_batch(self):
        """moto's, without its request-level check of every entry's attributes: SQS fails a
        bad entry alone (models.LabSQSBackend.send_message_batch)."""
        queue_name = self._get_queue_name()
        queue = self.sqs_backend.get_queue(queue_name)
        entries = self._get_param("Entries", [])
        sent, failed = self.sqs_backend.send_message_batch(
            queue_name, {str(i): entry for i, entry in enumerate(entries)})
        successful = []
        for message in sent:
            entry = {"Id": message.user_id, "MessageId": message.id,
                     "MD5OfMessageBody": message.body_md5}
            if message.message_attributes:
                entry["MD5OfMessageAttributes"] = message.attribute_md5
            if queue.fifo_queue:
                entry["SequenceNumber"] = message.sequence_number
            successful.append(entry)
        return ActionResult({"Successful": successful, "Failed": failed})

    def list_queue_tags(self):
        """moto's, without a `Tags` key when the queue has none (as SQS answers)."""
        result = super().list_queue_tags()
        body = result.result
        if isinstance(body, dict) and not body.get("Tags"):
            body.pop("Tags", None)
        return result

    # -- the move-task actions moto lacks (move_tasks.py) -----------------------------
    def _required(self, name: str):
        value = self._get_param(name)
        if not value:
            raise MissingParameter(name)
        return value

    def start_message_move_task(self):
        handle = move_tasks.manager.start(self._required("SourceArn"),
                                          self._get_param("DestinationArn"),
                                          self._get_param("MaxNumberOfMessagesPerSecond"))
        return ActionResult({"TaskHandle": handle})

    def list_message_move_tasks(self):
        return ActionResult({"Results": move_tasks.manager.list(
            self._required("SourceArn"), self._get_param("MaxResults"))})

    def cancel_message_move_task(self):
        moved = move_tasks.manager.cancel(self._required("TaskHandle"))
        return ActionResult({"ApproximateNumberOfMessagesMoved": moved})
