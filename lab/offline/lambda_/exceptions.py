"""Offline Lambda's errors, typed as moto types them (moto/awslambda/exceptions.py).

Each is a `lab.offline.errors.LabAwsError`, so the app answers it in AWS's shape (the code
in `x-amzn-ErrorType`, botocore's `ClientError`); a raise site names the error and its
subject, never the code, message and status. Codes, statuses and messages are Lambda's
Invoke errors: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
"""

from __future__ import annotations

from lab.offline.errors import LabAwsError

NOT_FOUND_PREFIX = "Function not found: "  # moto's UnknownFunctionException, as Lambda says


class ResourceNotFound(LabAwsError):
    """404: the function, version or alias does not exist."""

    def __init__(self, function_arn: str):
        super().__init__("ResourceNotFoundException", f"{NOT_FOUND_PREFIX}{function_arn}", 404)
        self.function_arn = function_arn


class ResourceConflict(LabAwsError):
    """409: the function is not in a state that allows the call (Pending, an update in
    progress), https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html"""

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message, 409)


class TooManyRequests(LabAwsError):
    """429 throttling, with Lambda's `Reason` (ReservedFunctionConcurrentInvocationLimitExceeded,
    ConcurrentInvocationLimitExceeded)."""

    def __init__(self, reason: str):
        super().__init__("TooManyRequestsException", "Rate Exceeded.", 429,
                         extra={"Reason": reason})
        self.reason = reason


class RequestTooLarge(LabAwsError):
    """413: the request payload is over the invocation type's limit (limits.py)."""

    def __init__(self, limit: int):
        super().__init__("RequestTooLargeException",
                         f"Request must be smaller than {limit} bytes for the InvokeFunction "
                         "operation", 413)
        self.limit = limit


class InvalidParameterValue(LabAwsError):
    """400: a parameter Lambda rejects."""

    def __init__(self, message: str):
        super().__init__("InvalidParameterValueException", message, 400)


class InvalidRequestContent(LabAwsError):
    """400: a body or header that does not parse (payload JSON, client context Base64)."""

    def __init__(self, message: str):
        super().__init__("InvalidRequestContentException", message, 400)


class InvalidRuntime(LabAwsError):
    """502: the function's runtime cannot run offline (only python3.x can)."""

    def __init__(self, runtime: str | None):
        super().__init__("InvalidRuntimeException",
                         f"The runtime parameter of {runtime or 'None'} is not supported "
                         "offline: lab serve runs python3.x functions only (on the project's "
                         "own interpreter). Use LAB_TARGET=aws for other runtimes.", 502)
        self.runtime = runtime


class InvalidZipFile(LabAwsError):
    """502: the deployment package is not a zip file."""

    def __init__(self):
        super().__init__("InvalidZipFileException",
                         "Lambda was unable to unzip the function's code.", 502)


class MotoClientError(LabAwsError):
    """400: another client error moto's Lambda backend raised on look-up, passed through
    with moto's code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message, 400)
