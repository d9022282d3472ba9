"""SQS's input rules in SQS's own words: the checks of one message (a batch applies them
entry by entry, so one bad entry fails alone) and the request-level checks of a batch or a
receive.

moto 5.2.5 words these differently or not at all (its WaitTimeSeconds message is wrapped
twice, HTML-escaped and has its bounds inverted; it accepts an empty MessageBody, 11
message attributes and an empty String attribute; it fails a whole SendMessageBatch for one
bad entry and checks no entry Id of DeleteMessageBatch / ChangeMessageVisibilityBatch).
Sources: SQS API reference ReceiveMessage (WaitTimeSeconds 0..20, MaxNumberOfMessages
1..10), SendMessage (MessageBody at least one character; allowed characters), CommonErrors
(MissingParameter), Developer Guide sqs-message-metadata (at most 10 attributes); the
exact wordings are cited where they are raised.
"""

from __future__ import annotations

import re

from moto.sqs.exceptions import (
    BatchEntryIdsNotDistinct,
    InvalidBatchEntryId,
    InvalidParameterValue,
    MissingParameter,
    TooManyEntriesInBatchRequest,
)

from lab.offline.sqs.exceptions import EmptyBatch, InvalidMessageContents

MAX_BATCH_ENTRIES = 10
MAX_MESSAGE_ATTRIBUTES = 10
ATTRIBUTE_TYPES = ("String", "Number", "Binary")
INVALID_CHARACTER = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ALLOWED_CHARACTERS = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
_BATCH_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- request level ---------------------------------------------------------------------
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


def batch_entries(entries, action: str) -> list[dict]:
    """The entries of a Send/Delete/ChangeMessageVisibility batch, checked as a request:
    AWS refuses the whole batch for these (recorded in LocalStack's
    tests/aws/services/sqs/test_sqs.snapshot.json: test_too_many_entries_in_batch_request,
    test_invalid_batch_id, test_delete_message_batch_invalid_msg_id)."""
    entries = list(entries or [])
    if not entries:
        raise EmptyBatch(f"{action}BatchRequestEntry")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(len(entries))
    seen = set()
    for entry in entries:
        entry_id = entry.get("Id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str) or not _BATCH_ENTRY_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId()
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(entry_id)
        seen.add(entry_id)
    return entries


# -- one message -----------------------------------------------------------------------
def message_body(body) -> None:
    if body is None or body == "":
        raise MissingParameter("MessageBody")
    if not isinstance(body, str):  # hand-written JSON only: the lab's words
        raise InvalidParameterValue(
            f"Value {body} for parameter MessageBody is invalid. Reason: must be a string.")


def characters(text, what: str = "message body") -> None:
    """SQS's character set (SendMessage: "#x9 | #xA | #xD | #x20 to #xD7FF | ...")."""
    if isinstance(text, str) and (bad := INVALID_CHARACTER.search(text)):
        raise InvalidMessageContents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the {what}, "
            f"the set of allowed characters is {ALLOWED_CHARACTERS}")


def message_attributes(attributes) -> None:
    """At most 10 attributes, each with a known type and a value of it.

    Wordings: the count as AWS answered it in aws/aws-sdk-js#2876 ("Number of message
    attributes [11] exceeds the allowed maximum [10]."); an empty String value as recorded
    in LocalStack's test_send_message_with_empty_string_attribute snapshot; a missing or
    unknown type in moto's words (no AWS recording found)."""
    if not attributes:
        return
    if not isinstance(attributes, dict):
        raise InvalidParameterValue("The request must contain valid MessageAttributes.")
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_MESSAGE_ATTRIBUTES}].")
    for name, value in attributes.items():
        characters(name, "message attribute name")
        data_type = value.get("DataType") if isinstance(value, dict) else None
        if not data_type or not isinstance(data_type, str):
            raise InvalidParameterValue(
                f"The message attribute '{name}' must contain non-empty message attribute "
                "type.")
        base = data_type.split(".")[0]
        if base not in ATTRIBUTE_TYPES:
            raise InvalidParameterValue(
                f"The message attribute '{name}' has an invalid message attribute type, the "
                "set of supported type prefixes is Binary, Number, and String.")
        string_value = value.get("StringValue")
        if string_value is not None and not isinstance(string_value, str):
            raise InvalidParameterValue(  # hand-written JSON only: the lab's words
                f"The message attribute '{name}' must have a string StringValue.")
        if base in ("String", "Number") and not string_value:
            raise InvalidParameterValue(
                f"Message (user) attribute '{name}' must contain a non-empty value of type "
                f"'{base}'.")
        characters(string_value, "message attribute value")


def message(body, attributes) -> None:
    """Everything SQS checks of one message before its size (models.message_size)."""
    message_body(body)
    characters(body)
    message_attributes(attributes)
