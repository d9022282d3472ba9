"""An HTTP API from an OpenAPI 3 definition with API Gateway's extensions (API Gateway
Developer Guide, "Working with OpenAPI definitions for HTTP APIs" and "OpenAPI extensions"):
`x-amazon-apigateway-integration` (type, httpMethod, uri, payloadFormatVersion,
integrationSubtype, credentials, requestParameters, timeoutInMillis, connectionType),
`x-amazon-apigateway-any-method` (route `ANY <path>`), the `/$default` path (the `$default`
route) and `x-amazon-apigateway-cors`.

Used for `AWS::ApiGatewayV2::Api` `Body` / `BodyS3Location`, which is what SAM's
`AWS::Serverless::HttpApi` becomes. Each operation gets its own integration, as an import
on AWS does; routes and integrations go through the same checks as API calls.
"""

from __future__ import annotations

import json

import yaml

from lab.offline.apigw import validation

ANY = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


def parse(text: str | bytes) -> dict:
    try:
        return json.loads(text)
    except ValueError:
        return yaml.safe_load(text)


def read_s3(account_id: str, location: dict) -> dict:
    """`BodyS3Location` {Bucket, Key[, Version]} from the S3 store."""
    from moto.s3.models import s3_backends

    key = s3_backends[account_id]["aws"].get_object(location["Bucket"], location["Key"])
    return parse(key.value)


def import_into(backend, api, body: dict) -> None:
    if "x-amazon-apigateway-cors" in body and not api.cors_configuration:
        api.cors_configuration = body["x-amazon-apigateway-cors"]
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method != ANY and method.lower() not in METHODS:
                continue  # parameters, summary, ...
            spec = (operation or {}).get(INTEGRATION)
            verb = "ANY" if method == ANY else method.upper()
            route_key = "$default" if path == "/$default" else f"{verb} {path}"
            target = None
            if spec:
                target = f"integrations/{_integration(backend, api, spec).id}"
            validation.check_route(api, {"routeKey": route_key, "target": target})
            backend.create_route(
                api_id=api.api_id, api_key_required=False, authorization_scopes=None,
                authorization_type="NONE", authorizer_id=None,
                model_selection_expression=None,
                operation_name=(operation or {}).get("operationId"), request_models=None,
                request_parameters=None, route_key=route_key,
                route_response_selection_expression=None, target=target)


def _integration(backend, api, spec: dict):
    fields = {
        "integrationType": str(spec.get("type", "")).upper(),
        "integrationSubtype": spec.get("integrationSubtype"),
        "integrationUri": spec.get("uri"),
        "integrationMethod": spec.get("httpMethod"),
        "payloadFormatVersion": str(spec["payloadFormatVersion"])
        if "payloadFormatVersion" in spec else None,
        "credentialsArn": spec.get("credentials"),
        "requestParameters": spec.get("requestParameters"),
    }
    validation.check_integration(api, {k: v for k, v in fields.items() if v is not None})
    return backend.create_integration(
        api_id=api.api_id, connection_id=spec.get("connectionId"),
        connection_type=spec.get("connectionType", "INTERNET"),
        content_handling_strategy=None, credentials_arn=fields["credentialsArn"],
        description=None, integration_method=fields["integrationMethod"],
        integration_subtype=fields["integrationSubtype"],
        integration_type=fields["integrationType"], integration_uri=fields["integrationUri"],
        passthrough_behavior=None, payload_format_version=fields["payloadFormatVersion"],
        request_parameters=fields["requestParameters"], request_templates=None,
        response_parameters=None, template_selection_expression=None,
        timeout_in_millis=spec.get("timeoutInMillis", 30000), tls_config=None)
