"""`AWS_PROXY` + `SQS-SendMessage`: map the request to a SendMessage call and answer as
API Gateway does.

Sources: API Gateway Developer Guide http-api-develop-integrations-aws-services and
-aws-services-reference (QueueUrl and MessageBody required; DelaySeconds,
MessageAttributes, MessageDeduplicationId, MessageGroupId, MessageSystemAttributes, Region
optional). The client receives the SendMessage result as JSON (status 200):
`{"SendMessageResponse": {"ResponseMetadata": {"RequestId"}, "SendMessageResult":
{"MD5OfMessageAttributes", "MD5OfMessageBody", "MD5OfMessageSystemAttributes", "MessageId",
"SequenceNumber"}}}` (the shape AWS's own samples print).

The SendMessage call goes through the endpoint's own WSGI app in-process (no socket), so
every SQS fix the lab installs (UTF-8 size limit, FIFO dedup, ...) applies exactly as for a
direct SendMessage. What the lab models, not documents: an SQS error keeps SQS's HTTP status
and is returned as `{"Error": {"Code", "Message", "Type"}, "RequestId"}`; a role API Gateway
cannot assume gives 500 `{"message":"Internal Server Error"}`; a required parameter whose
expression selects nothing gives 400 `{"message":"Bad Request"}`.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from lab.offline.apigw.mapping import RequestView, evaluate

SUBTYPE = "SQS-SendMessage"
REQUIRED = ("QueueUrl", "MessageBody")
OPTIONAL = ("DelaySeconds", "MessageAttributes", "MessageDeduplicationId", "MessageGroupId",
            "MessageSystemAttributes", "Region")
APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


@dataclass
class IntegrationResult:
    """What the integration answered, plus what the access log records about it."""

    response: Response
    integration_status: int | None = None
    integration_latency_ms: float | None = None
    error_message: str | None = None
    aws_request_id: str | None = None


def gateway_error(status: int, message: str) -> Response:
    """API Gateway's own error body: `{"message": "..."}`."""
    return Response(json.dumps({"message": message}), status=status,
                    content_type="application/json")


# role ARN -> moto's role id: moto's get_role / get_role_by_arn scan every role, so after the
# first lookup a request finds its role in `backend.roles` directly (checked against the ARN).
_role_ids: dict[str, str] = {}


def _find_role(backend, role_arn: str):
    from moto.iam.exceptions import NotFoundException

    role = backend.roles.get(_role_ids.get(role_arn, ""))
    if role is not None and role.arn == role_arn:
        return role
    try:
        role = backend.get_role_by_arn(role_arn)
    except NotFoundException:
        _role_ids.pop(role_arn, None)
        return None
    _role_ids[role_arn] = role.id
    return role


@functools.lru_cache(maxsize=1024)
def _trust_verdict(role_arn: str, document: str) -> str | None:
    """None if the trust policy `document` lets API Gateway assume the role, else why not."""
    try:
        doc = json.loads(document)
    except (TypeError, ValueError):
        from urllib.parse import unquote

        doc = json.loads(unquote(document))
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principal = st.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if (st.get("Effect") == "Allow" and APIGATEWAY_PRINCIPAL in services
                and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions)):
            return None
    return (f"role {role_arn} does not trust {APIGATEWAY_PRINCIPAL} "
            "(its trust policy has no Allow sts:AssumeRole for that service principal)")


def role_trusts_apigateway(account_id: str, role_arn: str | None) -> str | None:
    """None if `role_arn` names an IAM role API Gateway may assume, else why not."""
    from moto.iam.models import iam_backends

    if not role_arn:
        return "no CredentialsArn: API Gateway has no role to call SQS with"
    role = _find_role(iam_backends[account_id]["global"], role_arn)
    if role is None:
        return f"role {role_arn} does not exist"
    return _trust_verdict(role_arn, role.assume_role_policy_document)


def _message_attributes(raw: str) -> dict:
    """MessageAttributes is a JSON map as SendMessage takes it; raises ValueError if not."""
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("MessageAttributes must be a JSON object")
    return value


def build_send_message(params: dict[str, str], request: RequestView) -> tuple[dict, str | None]:
    """The SendMessage request (JSON protocol) and the Region, from RequestParameters."""
    values = {name: evaluate(expr, request) for name, expr in params.items()}
    missing = [name for name in REQUIRED if values.get(name) in (None, "")]
    if missing:
        raise _BadRequest(f"required parameter(s) selected no value: {', '.join(missing)}")
    call: dict = {"QueueUrl": values["QueueUrl"], "MessageBody": values["MessageBody"]}
    if values.get("DelaySeconds") not in (None, ""):
        try:
            call["DelaySeconds"] = int(values["DelaySeconds"])
        except ValueError:
            raise _BadRequest(f"DelaySeconds {values['DelaySeconds']!r} is not an integer")\
                from None
    for name in ("MessageAttributes", "MessageSystemAttributes"):
        if values.get(name) not in (None, ""):
            try:
                call[name] = _message_attributes(values[name])
            except ValueError as exc:
                raise _BadRequest(f"{name} is not a JSON map of attributes: {exc}") from None
    for name in ("MessageDeduplicationId", "MessageGroupId"):
        if values.get(name) not in (None, ""):
            call[name] = values[name]
    return call, values.get("Region") or None


class _BadRequest(Exception):
    pass


def send(app, integration, request: RequestView, region: str) -> IntegrationResult:
    """Run one SQS-SendMessage integration for `request`."""
    account = app.context.account_id
    why_not = role_trusts_apigateway(account, integration.credentials_arn)
    if why_not:
        return IntegrationResult(gateway_error(500, "Internal Server Error"),
                                 error_message=f"Unable to assume role: {why_not}")
    try:
        call, call_region = build_send_message(integration.request_parameters or {}, request)
    except _BadRequest as exc:
        return IntegrationResult(gateway_error(400, "Bad Request"), error_message=str(exc))
    started = time.perf_counter()
    status, headers, body = _call_sqs(app, call, call_region or region)
    latency = (time.perf_counter() - started) * 1000
    aws_request_id = headers.get("x-amzn-RequestId")
    if status == 200:
        result = json.loads(body)
        payload = {"SendMessageResponse": {
            "ResponseMetadata": {"RequestId": aws_request_id},
            "SendMessageResult": {
                "MD5OfMessageAttributes": result.get("MD5OfMessageAttributes"),
                "MD5OfMessageBody": result.get("MD5OfMessageBody"),
                "MD5OfMessageSystemAttributes": result.get("MD5OfMessageSystemAttributes"),
                "MessageId": result.get("MessageId"),
                "SequenceNumber": result.get("SequenceNumber"),
            }}}
        response = Response(json.dumps(payload), status=200, content_type="application/json")
        return IntegrationResult(response, 200, latency, None, aws_request_id)
    code, message, kind = _sqs_error(headers, body)
    payload = {"Error": {"Code": code, "Message": message, "Type": kind},
               "RequestId": aws_request_id}
    response = Response(json.dumps(payload), status=status, content_type="application/json")
    return IntegrationResult(response, status, latency, f"{code}: {message}", aws_request_id)


def _sqs_error(headers, body: bytes) -> tuple[str, str, str]:
    """(query-protocol code, message, Sender|Receiver) from an SQS JSON-protocol error."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    message = doc.get("message") or doc.get("Message") or body.decode(errors="replace")
    query_error = headers.get("x-amzn-query-error")
    if query_error and ";" in query_error:
        code, kind = query_error.split(";", 1)
    else:
        code = str(doc.get("__type", "InternalError")).split("#")[-1]
        kind = "Sender"
    return code, message, kind


def _call_sqs(app, call: dict, region: str) -> tuple[int, dict, bytes]:
    """SendMessage through the endpoint's own WSGI app (lab routes, then moto)."""
    builder = EnvironBuilder(
        method="POST", path="/", data=json.dumps(call).encode(),
        base_url=app.context.endpoint_url,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.SendMessage",
            "Authorization": ("AWS4-HMAC-SHA256 Credential=apigateway/20250101/"
                              f"{region}/sqs/aws4_request, SignedHeaders=host, Signature=0"),
        })
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    response = Response.from_app(app, environ, buffered=True)
    return response.status_code, response.headers, response.get_data()
