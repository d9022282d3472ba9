"""The smallest useful function: echoes its event and says which environment ran it."""

import os
import time

_STARTED = time.time()  # module scope runs once per execution environment (INIT)


def handler(event, context):
    return {
        "message": "hello from Lambda",
        "request_id": context.aws_request_id,
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "environment_started_at": _STARTED,
        "event": event,
    }
