"""Request-level checks SQS makes before it touches a queue, in SQS's own words.

moto 5.2.5 words these differently or not at all (its WaitTimeSeconds message is wrapped
twice, HTML-escaped and has its bounds inverted; it accepts an empty MessageBody). The
lab's `LabSQSResponse` (responses.py) calls these before moto's handlers.
Sources: SQS API reference ReceiveMessage (WaitTimeSeconds 0..20, MaxNumberOfMessages
1..10), SendMessage (MessageBody: "The minimum size is one character"), CommonErrors
(MissingParameter).
"""

from __future__ import annotations

from moto.sqs.exceptions import SQSException


class InvalidParameterValue(SQSException):
    def __init__(self, message: str):
        super().__init__("InvalidParameterValue", message)


class MissingParameter(SQSException):
    def __init__(self, name: str):
        super().__init__("MissingParameter", f"The request must contain the parameter {name}.")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def receive_parameters(wait_time_seconds, max_number_of_messages) -> None:
    wait = _int(wait_time_seconds)
    if wait_time_seconds is not None and (wait is None or not 0 <= wait <= 20):
        raise InvalidParameterValue(
            f"Value {wait_time_seconds} for parameter WaitTimeSeconds is invalid. Reason: "
            "Must be >= 0 and <= 20, if provided.")
    count = _int(max_number_of_messages)
    if max_number_of_messages is not None and (count is None or not 1 <= count <= 10):
        raise InvalidParameterValue(
            f"Value {max_number_of_messages} for parameter MaxNumberOfMessages is invalid. "
            "Reason: Must be between 1 and 10, if provided.")


def message_body(body) -> None:
    if body is None or body == "":
        raise MissingParameter("MessageBody")
