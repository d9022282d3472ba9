"""Lambda's event source mapping REST API on the `lab serve` port, and the /_lab/esm routes.

`/2015-03-31/event-source-mappings[/<UUID>]`: Create (POST, 202), List (GET, 200),
Get (GET, 200), Update (PUT, 202), Delete (DELETE, 202). Claiming these paths keeps the
mappings out of moto, so moto's in-SendMessage trigger never runs.
"""

from __future__ import annotations

import base64
import json
import re

from werkzeug.wrappers import Request, Response

from lab.offline.errors import json_response
from lab.offline.esm.exceptions import InvalidParameterValue, InvalidRequestContent, Validation
from lab.offline.esm.scaling import SETTINGS
from lab.offline.esm.service import EsmService, not_found
from lab.offline.requests import request_region

PREFIX = "/2015-03-31/event-source-mappings"
_ITEM = re.compile(r"^/2015-03-31/event-source-mappings/?(?P<uuid>[^/]*)/?$")


def matches_api(request: Request) -> bool:
    return request.path.startswith(PREFIX)


def matches_lab(request: Request) -> bool:
    return request.path.startswith("/_lab/esm")


def _body(request: Request) -> dict:
    raw = request.get_data()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidRequestContent() from None
    if not isinstance(body, dict):
        raise InvalidRequestContent()
    return body


def _marker_encode(index: int) -> str:
    return base64.urlsafe_b64encode(f"esm:{index}".encode()).decode()


def _marker_decode(marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        if not text.startswith("esm:"):
            raise ValueError
        return int(text[4:])
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameterValue(f"Invalid marker: {marker}") from None


class EsmApi:
    def __init__(self, service: EsmService, tags=None):
        self.service = service
        self.tags = tags  # MappingTags: CreateEventSourceMapping's `Tags`

    def handle(self, request: Request) -> Response:
        found = _ITEM.match(request.path)
        if found is None:
            raise not_found()
        uuid = found.group("uuid")
        region = request_region(request, self.service.default_region)
        method = request.method
        if not uuid:
            if method == "POST":
                body = _body(request)
                mapping = self.service.create(body, region)
                if self.tags is not None:
                    self.tags.put(mapping.uuid, body.get("Tags"))
                return json_response(mapping.to_api(), 202)
            if method == "GET":
                return self._list(request, region)
        else:
            if method == "GET":
                return json_response(self.service.get(uuid).to_api(), 200)
            if method == "PUT":
                return json_response(self.service.update(uuid, _body(request)).to_api(), 202)
            if method == "DELETE":
                return json_response(self.service.delete(uuid).to_api(), 202)
        raise InvalidRequestContent(f"{method} is not supported on {request.path}")

    def _list(self, request: Request, region: str) -> Response:
        args = request.args
        max_items = args.get("MaxItems")
        if max_items is not None:
            try:
                max_items = int(max_items)
            except ValueError:
                max_items = -1
            if not 1 <= max_items <= 10_000:
                raise Validation("maxItems", args.get("MaxItems"),
                                 "Member must have value between 1 and 10000")
        else:
            max_items = 100
        items = self.service.list(args.get("FunctionName"), args.get("EventSourceArn"), region)
        start = _marker_decode(args["Marker"]) if args.get("Marker") else 0
        page = items[start:start + max_items]
        body: dict = {"EventSourceMappings": [m.to_api() for m in page]}
        if start + max_items < len(items):
            body["NextMarker"] = _marker_encode(start + max_items)
        return json_response(body, 200)

    # -- /_lab/esm -----------------------------------------------------------------------
    def handle_lab(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == "/_lab/esm/config":
            if request.method in ("POST", "PUT"):
                body = _body(request)
                if "time_scale" in body:
                    try:
                        SETTINGS.set_time_scale(body["time_scale"])
                    except ValueError as exc:
                        raise InvalidParameterValue(str(exc)) from None
            return json_response(SETTINGS.as_dict(), 200)
        if path == "/_lab/esm/stats":
            uuid = request.args.get("uuid")
            with_invocations = request.args.get("invocations", "true").lower() != "false"
            stats = self.service.stats
            if uuid:
                if uuid not in stats:
                    raise not_found()
                body = stats[uuid].as_dict(with_invocations)
                runner = self.service.runners.get(uuid)
                body["pollers"] = runner.alive_pollers() if runner else 0
                body["target"] = runner.model.target if runner else 0
                return json_response(body, 200)
            return json_response({"mappings": {u: s.as_dict(False) for u, s in
                                               list(stats.items())}}, 200)
        raise not_found()
