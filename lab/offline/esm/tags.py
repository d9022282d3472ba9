"""Lambda's tagging API on event source mapping ARNs (TagResource, UntagResource, ListTags).

`/2017-03-31/tags/<ARN>` for `arn:aws:lambda:<region>:<account>:event-source-mapping:<UUID>`
(Lambda API reference, "TagResource" / "UntagResource" / "ListTags"; event source mappings
are taggable resources, and CreateEventSourceMapping takes `Tags`). Function ARNs stay
moto's. Tags live here, keyed by mapping UUID, and go with the mapping.
"""

from __future__ import annotations

import json
import re
import threading
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, json_response

_PATH = re.compile(r"^/2017-03-31/tags/(?P<arn>.+)$")
_ARN = re.compile(r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:event-source-mapping:(?P<uuid>[\w-]+)$")


class MappingTags:
    def __init__(self, service):
        self.service = service
        self._tags: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    # -- in-process ---------------------------------------------------------------------
    def put(self, uuid: str, tags: dict | None) -> None:
        if tags:
            _check(tags)
            with self._lock:
                self._tags.setdefault(uuid, {}).update({str(k): str(v) for k, v in tags.items()})

    def get(self, uuid: str) -> dict[str, str]:
        self.service.get(uuid)  # ResourceNotFoundException once the mapping is gone
        with self._lock:
            return dict(self._tags.get(uuid, {}))

    def remove(self, uuid: str, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._tags.get(uuid, {}).pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._tags.clear()

    # -- routes -------------------------------------------------------------------------
    @staticmethod
    def matches(request: Request) -> bool:
        m = _PATH.match(request.path)
        return bool(m and _ARN.match(unquote(m["arn"])))

    def handle(self, request: Request) -> Response:
        uuid = _ARN.match(unquote(_PATH.match(request.path)["arn"]))["uuid"]
        if request.method == "GET":
            return json_response({"Tags": self.get(uuid)})
        self.service.get(uuid)
        if request.method == "POST":
            try:
                body = json.loads(request.get_data() or b"{}")
            except ValueError:
                raise LabAwsError("InvalidRequestContentException",
                                  "Could not parse request body into json", 400) from None
            self.put(uuid, body.get("Tags") or {})
            return Response(status=204)
        if request.method == "DELETE":
            self.remove(uuid, request.args.getlist("tagKeys"))
            return Response(status=204)
        raise LabAwsError("InvalidRequestContentException",
                          f"{request.method} is not supported on {request.path}", 400)


def _check(tags) -> None:
    if not isinstance(tags, dict) or len(tags) > 50:
        raise LabAwsError("InvalidParameterValueException",
                          "Tags must be a map of at most 50 keys and values.", 400)
