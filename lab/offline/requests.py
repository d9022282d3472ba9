"""What the lab's routes read from an incoming AWS API request."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from lab.offline.errors import aws_error, new_request_id

# SigV4: Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/...
_CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")
_CREDENTIAL_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/")


def request_region(request: Request, default: str) -> str:
    """The region the request was signed for (SigV4 credential scope), else `default`."""
    found = _CREDENTIAL_REGION.search(request.headers.get("Authorization", ""))
    return found.group(1) if found else default


# -- request bodies: limited while they stream ------------------------------------------------
# Nothing the lab serves takes more: Lambda's CreateFunction request (a 50 MB zip, base64)
# is AWS's largest at 70,167,211 bytes; S3 uploads beyond this are out of scope offline.
MAX_REQUEST_BYTES = 128 * 1024 * 1024
_DRAIN_MAX = 1024 * 1024 * 1024  # read and drop at most this much of a refused body
_CHUNK = 1024 * 1024


def drain(request: Request) -> None:
    """Read and drop what is left of the body (bounded), so the client reads our answer."""
    stream = request.stream  # werkzeug's: never reads past Content-Length
    left = min(request.content_length or _DRAIN_MAX, _DRAIN_MAX)
    try:
        while left > 0 and (chunk := stream.read(min(_CHUNK, left))):
            left -= len(chunk)
    except (OSError, ValueError):
        pass


def read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None if it is longer than `limit` (checked against Content-Length before
    reading, and while reading a body of unknown length; a refused body is drained)."""
    length = request.content_length
    if length is not None and length > limit:
        drain(request)
        return None
    if "_cached_data" in request.__dict__:
        data = request.get_data()
        return data if len(data) <= limit else None
    data = request.stream.read(limit + 1) if length is None else request.get_data()
    if len(data) > limit:
        drain(request)
        return None
    request._cached_data = data  # later get_data() calls see it (werkzeug's cache)
    return data


# Routes that bound their own reads with their service's limit and error (Lambda Invoke).
_BOUNDED_BY_ROUTE = re.compile(
    r"^/(2015-03-31/functions/.+/invocations|2014-11-13/functions/.+/invoke-async)/?$")


def too_large(request: Request) -> Response | None:
    """A 413 for a body over MAX_REQUEST_BYTES, before anything reads it whole."""
    environ = request.environ
    if _BOUNDED_BY_ROUTE.match(request.path):
        return None
    if request.content_length is None and environ.get("wsgi.input_terminated"):
        data = read_bounded(request, MAX_REQUEST_BYTES)  # chunked: read bounded now
        if data is not None:
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            return None
    elif (request.content_length or 0) <= MAX_REQUEST_BYTES:
        return None
    else:
        drain(request)
    response = error_for(request, "RequestEntityTooLargeException",
                         f"Request must be smaller than {MAX_REQUEST_BYTES} bytes", 413)
    response.headers["Connection"] = "close"
    return response


# -- malformed requests: an AWS-shaped 4xx in the addressed service's protocol -----------------
def protocol(request: Request) -> str:
    """"json" (X-Amz-Target / amz-json), "query" (form with Action) or "rest" (the rest)."""
    ctype = request.headers.get("Content-Type", "")
    if request.headers.get("X-Amz-Target") or "amz-json" in ctype:
        return "json"
    if "x-www-form-urlencoded" in ctype or "Action" in request.args:
        return "query"
    return "rest"


def service(request: Request) -> str | None:
    """The service the request was signed for (SigV4 credential scope), or its target."""
    found = _CREDENTIAL_SERVICE.search(request.headers.get("Authorization", ""))
    if found:
        return found.group(1)
    target = request.headers.get("X-Amz-Target", "")
    return "sqs" if target.startswith("AmazonSQS.") else None


def error_for(request: Request, code: str, message: str, status: int = 400, *,
              sender_fault: bool = True, extra: dict | None = None) -> Response:
    """An error as the addressed service's clients parse it: XML for the query protocol
    (and S3), else JSON; SQS's JSON errors name their shape in `__type` and carry the
    legacy code in `x-amzn-query-error`, as SQS sends them."""
    kind = protocol(request)
    if kind == "query" or (kind == "rest" and service(request) == "s3"):
        root = "ErrorResponse" if kind == "query" else None
        inner = (f"<Error><Type>{'Sender' if sender_fault else 'Receiver'}</Type>"
                 f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>")
        body = (f"<{root}>{inner}<RequestId>{new_request_id()}</RequestId></{root}>"
                if root else inner)
        return Response(body, status=status, content_type="text/xml",
                        headers={"x-amzn-RequestId": new_request_id()})
    if service(request) == "sqs" and kind == "json":
        from lab.offline.sqs.protocol import ERROR_NAMESPACE, json_error_shape

        return aws_error(code, message, status, sender_fault=sender_fault, extra=extra,
                         json_type_prefix=f"{ERROR_NAMESPACE}#", shape=json_error_shape(code))
    return aws_error(code, message, status, sender_fault=sender_fault, extra=extra)


def malformed(request: Request, status: int | None = None) -> Response:
    """The answer to a request moto could not process (it raised, or answered with HTML)."""
    if status in (404, 405):
        return error_for(request, "UnknownOperationException",
                         f"lab serve knows no operation {request.method} {request.path}",
                         status)
    code = ("InvalidParameterValue" if service(request) == "sqs" else
            "ValidationError" if protocol(request) == "query" else
            "InvalidRequest" if protocol(request) == "rest" and service(request) == "s3"
            else "ValidationException")
    return error_for(request, code, "The request is malformed for this operation "
                     "(lab serve could not process it).", status if status and
                     400 <= status < 500 else 400)
