"""HTTP APIs in the Resource Groups Tagging API (moto 5.2.5's apigatewayv2 backend takes no
part in it; on AWS, GetResources lists API Gateway resources, `arn:aws:apigateway:<region>::
/apis/<id>`). `lab aws cleanup` finds leftover HTTP APIs by tag this way.

A small taggable backend reports each HTTP API with its tags; a route touches it for the
caller's account before GetResources reaches moto (moto asks only backends in use).
"""

from __future__ import annotations

from collections.abc import Iterator

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
from werkzeug.wrappers import Request, Response

TARGET_PREFIX = "ResourceGroupsTaggingAPI_20170126."


class HttpApiTags(BaseBackend, TaggableResourcesMixin):
    SERVICE_NAMESPACE = "apigateway"

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        from moto.apigatewayv2.models import apigatewayv2_backends

        if self.account_id not in apigatewayv2_backends:
            return
        backend = apigatewayv2_backends[self.account_id][self.region_name]
        for api in list(backend.apis.values()):
            yield TaggedResource(arn=api.arn, tags=dict(backend.get_tags(api.arn) or {}),
                                 resource_type="apigateway:apis")


http_api_tags = BackendDict(HttpApiTags, "apigatewayv2")


def matches(request: Request) -> bool:
    return request.method == "POST" and request.headers.get("X-Amz-Target", "").startswith(
        TARGET_PREFIX + "GetResources")


def make_handler(app):
    def handle(request: Request) -> Response:
        http_api_tags[app.context.account_id]  # in use: moto's GetResources now asks it
        return app.forward_to_moto(request)
    return handle
