"""CloudFormation resource types backed by the lab's own services, registered as moto
registers its own: `CloudFormationModel` subclasses (moto's parser finds every direct
subclass and dispatches on `cloudformation_type()`).

- `AWS::Lambda::EventSourceMapping` -> the lab's mapping (`lab.offline.esm`), replacing
  moto's model (which stored a mapping the lab never polls). Ref = UUID; GetAtt `Id`,
  `EventSourceMappingArn`.
- `AWS::ApiGatewayV2::{Api, Integration, Route, Stage, Authorizer, Deployment}` -> moto's
  apigatewayv2 store, which the lab's data plane serves, with the checks the lab's control
  plane makes (`lab.offline.apigw.validation`). Api: Ref = ApiId, GetAtt `ApiEndpoint`,
  `ApiId`; `Body` (OpenAPI 3) or quick create (`Target`).
- `AWS::SQS::QueuePolicy` -> the queues' `Policy` attribute.
Ref and GetAtt follow the "Return values" section of each type's page in the CloudFormation
User Guide (AWS resource and property types reference).
"""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from typing import Any

# moto's parser imports every moto model module: imported first, moto's classes come
# before the lab's in CloudFormationModel.__subclasses__(), so the lab's win on a type.
import moto.cloudformation.parsing  # noqa: F401, I001
from moto.core.common_models import CloudFormationModel

from lab.offline.apigw import endpoints, openapi, validation
from lab.offline.errors import LabAwsError

# Set by `lab.offline.cloudformation.install`: the running LabApp (services, context).
APP: dict[str, Any] = {}


def _app():
    app = APP.get("app")
    if app is None:
        raise RuntimeError("the lab's CloudFormation models need `lab serve` (install(app))")
    return app


def _props(cloudformation_json: dict) -> dict:
    return dict(cloudformation_json.get("Properties") or {})


def _camel(props: dict) -> dict:
    """CloudFormation's `IntegrationType` is the API's `integrationType`."""
    return {k[:1].lower() + k[1:]: v for k, v in props.items()}


def _tags(value) -> dict:
    """CloudFormation tags: a map, or a list of {Key, Value}."""
    if isinstance(value, list):
        return {t["Key"]: t["Value"] for t in value}
    return dict(value or {})


class _Lab:
    """What every lab model shares: no name property, created at once, GetAtt by table."""

    ATTRIBUTES: tuple[str, ...] = ()

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        """Replacement: create the new resource, then delete the old one (as CloudFormation
        does for a property that requires replacement)."""
        new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                  account_id, region_name)
        original_resource.delete(account_id, region_name)
        return new

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name) -> None:
        pass  # instances delete themselves (ResourceMap calls `delete` first)


# -- Lambda event source mapping ----------------------------------------------------------
class LabEventSourceMapping(_Lab, CloudFormationModel):
    ATTRIBUTES = ("Id", "EventSourceMappingArn")
    FIELDS = ("EventSourceArn", "FunctionName", "BatchSize", "MaximumBatchingWindowInSeconds",
              "Enabled", "FunctionResponseTypes", "ScalingConfig", "FilterCriteria",
              "StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor",
              "BisectBatchOnFunctionError", "MaximumRetryAttempts",
              "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds", "KmsKeyArn",
              "MetricsConfig", "ProvisionedPollerConfig")

    def __init__(self, uuid: str, arn: str):
        self.uuid, self.arn = uuid, arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventSourceMapping"

    @property
    def physical_resource_id(self) -> str:
        return self.uuid

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.uuid
        if attribute_name == "EventSourceMappingArn":
            return self.arn
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
        raise UnformattedGetAttTemplateException()

    @classmethod
    def _body(cls, props: dict) -> dict:
        body = {k: props[k] for k in cls.FIELDS if k in props}
        if "KmsKeyArn" in body:
            body["KMSKeyArn"] = body.pop("KmsKeyArn")
        return body

    @staticmethod
    def _settled(service, uuid: str, timeout: float = 10.0) -> None:
        """CloudFormation reports the resource once the mapping left its transition."""
        from lab.offline.esm.mapping import TRANSITIONAL

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mapping = service.mappings.get(uuid)
            if mapping is None or mapping.state not in TRANSITIONAL:
                return
            time.sleep(0.02)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        app = _app()
        service = app.services["esm"]
        props = _props(cloudformation_json)
        mapping = service.create(cls._body(props), region_name)
        app.services["esm_tags"].put(mapping.uuid, _tags(props.get("Tags")))
        cls._settled(service, mapping.uuid)
        return cls(mapping.uuid, mapping.arn)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        service = _app().services["esm"]
        props = _props(cloudformation_json)
        current = service.get(original_resource.uuid)
        if props.get("EventSourceArn") != current.queue.arn:  # requires replacement
            return super().update_from_cloudformation_json(
                original_resource, new_resource_name, cloudformation_json, account_id,
                region_name)
        body = cls._body(props)
        body.pop("EventSourceArn", None)
        defaults = {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 0, "Enabled": True,
                    "FunctionResponseTypes": []}
        for key, value in defaults.items():  # a property removed from the template
            body.setdefault(key, value)
        cls._settled(service, original_resource.uuid)
        service.update(original_resource.uuid, body)
        tags = _app().services["esm_tags"]
        tags.remove(original_resource.uuid, list(tags.get(original_resource.uuid)))
        tags.put(original_resource.uuid, _tags(props.get("Tags")))
        cls._settled(service, original_resource.uuid)
        return original_resource

    def delete(self, account_id=None, region_name=None) -> None:
        service = _app().services["esm"]
        if self.uuid not in service.mappings:
            return
        self._settled(service, self.uuid)
        service.delete(self.uuid)
        deadline = time.monotonic() + 30
        while self.uuid in service.mappings and time.monotonic() < deadline:
            time.sleep(0.02)  # gone, pollers stopped: as DeleteStack's DELETE_COMPLETE


# -- API Gateway v2 (HTTP APIs) -------------------------------------------------------------
def _backend(account_id: str, region_name: str):
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[account_id][region_name]


def _bad(message: str) -> LabAwsError:
    return LabAwsError("BadRequestException", message, 400)


class LabHttpApi(_Lab, CloudFormationModel):
    ATTRIBUTES = ("ApiEndpoint", "ApiId")

    def __init__(self, api):
        self.api = api

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @property
    def physical_resource_id(self) -> str:
        return self.api.api_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "ApiEndpoint":
            return self.api.api_endpoint
        if attribute_name == "ApiId":
            return self.api.api_id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        if "BodyS3Location" in props:
            props["Body"] = openapi.read_s3(account_id, props["BodyS3Location"])
        body = props.get("Body")
        if isinstance(body, str):
            body = openapi.parse(body)
        protocol = props.get("ProtocolType") or ("HTTP" if body else None)
        if protocol not in ("HTTP", "WEBSOCKET"):
            raise _bad("ProtocolType must be HTTP or WEBSOCKET (or give a Body)")
        name = props.get("Name") or (body or {}).get("info", {}).get("title") or resource_name
        backend = _backend(account_id, region_name)
        api = backend.create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=_camel(props["CorsConfiguration"])
            if props.get("CorsConfiguration") else None,
            description=props.get("Description"),
            disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
            name=name, protocol_type=protocol,
            route_selection_expression=props.get("RouteSelectionExpression"),
            tags=_tags(props.get("Tags")), version=props.get("Version"))
        endpoints.localize(api, _app().context.endpoint_url)
        try:
            if body:
                openapi.import_into(backend, api, body)
            if props.get("Target"):
                endpoints.quick_create(backend, api, props["Target"], props.get("RouteKey"),
                                       props.get("CredentialsArn"))
        except Exception:
            backend.delete_api(api.api_id)
            raise
        return cls(api)

    def delete(self, account_id, region_name) -> None:
        _backend(account_id, region_name).delete_api(self.api.api_id)


def _api(account_id: str, region_name: str, props: dict):
    api_id = props.get("ApiId")
    api = _backend(account_id, region_name).apis.get(api_id)
    if api is None:
        raise LabAwsError("NotFoundException",
                          f"Invalid API identifier specified {account_id}:{api_id}", 404)
    return api


class LabIntegration(_Lab, CloudFormationModel):
    ATTRIBUTES = ("IntegrationId",)

    def __init__(self, api_id: str, integration_id: str):
        self.api_id, self.integration_id = api_id, integration_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Integration"

    @property
    def physical_resource_id(self) -> str:
        return self.integration_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.integration_id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        api = _api(account_id, region_name, props)
        validation.check_integration(api, _camel(props))
        integration = _backend(account_id, region_name).create_integration(
            api_id=api.api_id, connection_id=props.get("ConnectionId"),
            connection_type=props.get("ConnectionType"),
            content_handling_strategy=props.get("ContentHandlingStrategy"),
            credentials_arn=props.get("CredentialsArn"),
            description=props.get("Description"),
            integration_method=props.get("IntegrationMethod"),
            integration_subtype=props.get("IntegrationSubtype"),
            integration_type=props.get("IntegrationType"),
            integration_uri=props.get("IntegrationUri"),
            passthrough_behavior=props.get("PassthroughBehavior"),
            payload_format_version=props.get("PayloadFormatVersion"),
            request_parameters=props.get("RequestParameters"),
            request_templates=props.get("RequestTemplates"),
            response_parameters=props.get("ResponseParameters"),
            template_selection_expression=props.get("TemplateSelectionExpression"),
            timeout_in_millis=props.get("TimeoutInMillis"),
            tls_config=props.get("TlsConfig"))
        return cls(api.api_id, integration.id)

    def delete(self, account_id, region_name) -> None:
        api = _backend(account_id, region_name).apis.get(self.api_id)
        if api is not None:
            api.integrations.pop(self.integration_id, None)


class LabRoute(_Lab, CloudFormationModel):
    ATTRIBUTES = ("RouteId",)

    def __init__(self, api_id: str, route_id: str):
        self.api_id, self.route_id = api_id, route_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Route"

    @property
    def physical_resource_id(self) -> str:
        return self.route_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.route_id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        api = _api(account_id, region_name, props)
        validation.check_route(api, _camel(props))
        route = _backend(account_id, region_name).create_route(
            api_id=api.api_id, api_key_required=props.get("ApiKeyRequired", False),
            authorization_scopes=props.get("AuthorizationScopes"),
            authorization_type=props.get("AuthorizationType", "NONE"),
            authorizer_id=props.get("AuthorizerId"),
            model_selection_expression=props.get("ModelSelectionExpression"),
            operation_name=props.get("OperationName"),
            request_models=props.get("RequestModels"),
            request_parameters=props.get("RequestParameters"),
            route_key=props.get("RouteKey"),
            route_response_selection_expression=props.get("RouteResponseSelectionExpression"),
            target=props.get("Target"))
        return cls(api.api_id, route.route_id)

    def delete(self, account_id, region_name) -> None:
        api = _backend(account_id, region_name).apis.get(self.api_id)
        if api is not None:
            api.routes.pop(self.route_id, None)


class LabStage(_Lab, CloudFormationModel):
    ATTRIBUTES = ()

    def __init__(self, api_id: str, name: str):
        self.api_id, self.name = api_id, name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        api = _api(account_id, region_name, props)
        name = props.get("StageName")
        if not name:
            raise _bad("StageName is required")
        if name in api.stages:
            raise LabAwsError("ConflictException", f"Stage already exist: {name}", 409)
        config = _camel({k: v for k, v in props.items() if k not in ("ApiId", "Tags")})
        config["tags"] = _tags(props.get("Tags"))
        for key in ("accessLogSettings", "defaultRouteSettings"):
            if isinstance(config.get(key), dict):
                config[key] = _camel(config[key])
        _backend(account_id, region_name).create_stage(api.api_id, config)
        return cls(api.api_id, name)

    def delete(self, account_id, region_name) -> None:
        api = _backend(account_id, region_name).apis.get(self.api_id)
        if api is not None:
            api.stages.pop(self.name, None)


class LabAuthorizer(_Lab, CloudFormationModel):
    ATTRIBUTES = ("AuthorizerId",)

    def __init__(self, api_id: str, authorizer_id: str):
        self.api_id, self.authorizer_id = api_id, authorizer_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Authorizer"

    @property
    def physical_resource_id(self) -> str:
        return self.authorizer_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.authorizer_id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        api = _api(account_id, region_name, props)
        jwt = props.get("JwtConfiguration")
        authorizer = _backend(account_id, region_name).create_authorizer(
            api_id=api.api_id, auth_creds_arn=props.get("AuthorizerCredentialsArn"),
            auth_payload_format_version=props.get("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=props.get("AuthorizerResultTtlInSeconds"),
            authorizer_uri=props.get("AuthorizerUri"),
            authorizer_type=props.get("AuthorizerType"),
            enable_simple_response=props.get("EnableSimpleResponses"),
            identity_source=props.get("IdentitySource"),
            identity_validation_expr=props.get("IdentityValidationExpression"),
            jwt_config=_camel(jwt) if isinstance(jwt, dict) else jwt,
            name=props.get("Name"))
        return cls(api.api_id, authorizer.id)

    def delete(self, account_id, region_name) -> None:
        api = _backend(account_id, region_name).apis.get(self.api_id)
        if api is not None:
            api.authorizers.pop(self.authorizer_id, None)


class LabDeployment(_Lab, CloudFormationModel):
    """A record only: the lab's stages always serve the current configuration."""

    ATTRIBUTES = ("DeploymentId",)

    def __init__(self, api_id: str, deployment_id: str):
        self.api_id, self.deployment_id = api_id, deployment_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Deployment"

    @property
    def physical_resource_id(self) -> str:
        return self.deployment_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.deployment_id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        api = _api(account_id, region_name, props)
        deployment_id = uuidlib.uuid4().hex[:6]
        stage = props.get("StageName")
        if stage:
            if stage not in api.stages:
                raise LabAwsError("NotFoundException",
                                  f"Invalid stage identifier specified {stage}", 404)
            api.stages[stage].config["deploymentId"] = deployment_id
        return cls(api.api_id, deployment_id)

    def delete(self, account_id, region_name) -> None:
        pass


# -- SQS queue policy -----------------------------------------------------------------------
class LabQueuePolicy(_Lab, CloudFormationModel):
    def __init__(self, queues: list[str], document: str):
        self.queues, self.document = queues, document
        self.id = f"lab-queue-policy-{uuidlib.uuid4().hex[:12]}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def _set(account_id, region_name, queues: list[str], policy: str) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[account_id][region_name]
        for url in queues:
            name = url.rstrip("/").rsplit("/", 1)[-1]
            if name in backend.queues:
                backend.set_queue_attributes(name, {"Policy": policy})

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        props = _props(cloudformation_json)
        document = props.get("PolicyDocument") or {}
        policy = document if isinstance(document, str) else json.dumps(document)
        queues = list(props.get("Queues") or [])
        cls._set(account_id, region_name, queues, policy)
        return cls(queues, policy)

    def delete(self, account_id, region_name) -> None:
        self._set(account_id, region_name, self.queues, "")


LAB_MODELS: tuple[type[CloudFormationModel], ...] = (
    LabEventSourceMapping, LabHttpApi, LabIntegration, LabRoute, LabStage, LabAuthorizer,
    LabDeployment, LabQueuePolicy)
