"""AWS-shaped error responses for the lab's own routes.

botocore reads the error code from `x-amzn-ErrorType` (REST-JSON services such as
Lambda and API Gateway) or from `__type` in the body (JSON 1.0 services such as SQS), so
every error carries both, plus a `message`: clients see the same exceptions as on AWS.
"""

import json

from werkzeug.wrappers import Response


def aws_error(code: str, message: str, status: int, *, sender_fault: bool = True,
              json_type_prefix: str = "", shape: str | None = None,
              extra: dict | None = None) -> Response:
    """An error in AWS's JSON shape (`ClientError` code, message and HTTP status). `shape`:
    the error's name in `__type` when a query-compatible JSON 1.0 service (SQS) names it
    apart from its legacy code, which `x-amzn-query-error` then carries."""
    body = {"__type": f"{json_type_prefix}{shape or code}", "message": message,
            "Message": message, "Type": "User" if sender_fault else "Service"}
    if extra:
        body.update(extra)
    headers = {"x-amzn-ErrorType": code, "x-amzn-RequestId": new_request_id()}
    if json_type_prefix:  # JSON 1.0 services also send the query-compatible code
        headers["x-amzn-query-error"] = f"{code};{'Sender' if sender_fault else 'Receiver'}"
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json")


def json_response(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    hdrs = {"x-amzn-RequestId": new_request_id()}
    hdrs.update(headers or {})
    return Response(json.dumps(payload), status=status, headers=hdrs,
                    content_type="application/json")


def new_request_id() -> str:
    import uuid

    return str(uuid.uuid4())


class LabAwsError(Exception):
    """An AWS API error raised inside the lab; `to_response()` gives AWS's shape."""

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True,
                 extra: dict | None = None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.sender_fault = code, message, status, sender_fault
        self.extra = extra  # more fields of the error body (e.g. Lambda's `Reason`)

    def to_response(self, json_type_prefix: str = "") -> Response:
        return aws_error(self.code, self.message, self.status, sender_fault=self.sender_fault,
                         json_type_prefix=json_type_prefix, extra=self.extra)
