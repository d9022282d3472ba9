"""Selection expressions for HTTP API parameter mapping ($request..., $context..., ...).

Source: API Gateway Developer Guide, http-api-develop-integrations-aws-services
("Mapping request parameters"):
- `$request.header.name`: case-insensitive; repeated headers joined with commas.
- `$request.querystring.name`: case-sensitive; repeated values joined with commas.
- `$request.path.name`: a path variable of the matched route.
- `$request.body`: the whole body. `$request.body.<JSON path>`: the body is truncated at
  100 KB, then the JSON path applies; recursive descent (`..`) and filters (`?()`) are not
  supported. A selected object or array is passed as JSON text.
- `$context.<variable>`, `$stageVariables.<name>`, or a static value.
An expression that selects nothing yields None (the caller decides what that means).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

BODY_JSON_PATH_LIMIT = 100 * 1024  # "API Gateway truncates the request body at 100 KB"
_JSON_PATH_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


_NOT_JSON = object()  # RequestView.body_json() of a body that is not JSON


class MappingError(ValueError):
    """A selection expression API Gateway would reject when the integration is created."""


@dataclass
class RequestView:
    """What a selection expression can see of one request."""

    headers: dict[str, list[str]]  # lower-case name -> values in order
    query: dict[str, list[str]]
    path_parameters: dict[str, str]
    body: bytes
    context: dict[str, object]
    stage_variables: dict[str, str] = field(default_factory=dict)
    _body_json: object = field(default=None, init=False, repr=False, compare=False)
    _body_parsed: bool = field(default=False, init=False, repr=False, compare=False)

    def body_json(self) -> object:
        """The body's first 100 KB as JSON (parsed once per request), or _NOT_JSON."""
        if not self._body_parsed:
            try:
                self._body_json = json.loads(self.body[:BODY_JSON_PATH_LIMIT])
            except ValueError:
                self._body_json = _NOT_JSON
            self._body_parsed = True
        return self._body_json


def parse_json_path(path: str) -> list[str | int]:
    """Steps of a `$request.body` JSON path (text after `$request.body`)."""
    if ".." in path or "?(" in path or "*" in path:
        raise MappingError(f"Unsupported JSON path '$request.body{path}': recursive descent,"
                           " wildcards and filter expressions are not supported")
    steps: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _JSON_PATH_TOKEN.match(path, pos)
        if not m:
            raise MappingError(f"Invalid JSON path '$request.body{path}'")
        name, index, quoted1, quoted2 = m.groups()
        steps.append(int(index) if index is not None else (name or quoted1 or quoted2 or ""))
        pos = m.end()
    return steps


def validate_expression(value: str) -> None:
    """Raise MappingError for an expression API Gateway rejects at create time."""
    if not isinstance(value, str) or not value.startswith("$"):
        return  # a static value
    for prefix in ("$request.header.", "$request.querystring.", "$request.path.",
                   "$context.", "$stageVariables."):
        if value.startswith(prefix):
            if len(value) == len(prefix):
                raise MappingError(f"Invalid selection expression '{value}'")
            return
    if value == "$request.body":
        return
    if value.startswith("$request.body"):
        parse_json_path(value[len("$request.body"):])
        return
    raise MappingError(f"Invalid selection expression '{value}'. Expected one of "
                       "$request.header.<name>, $request.querystring.<name>, "
                       "$request.path.<name>, $request.body, $request.body.<json path>, "
                       "$context.<variable>, $stageVariables.<name>, or a static value")


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def evaluate(expression: str, request: RequestView) -> str | None:
    """The value of one mapping expression for `request`, or None if nothing is selected."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    if expression.startswith("$request.header."):
        values = request.headers.get(expression[len("$request.header."):].lower())
        return ",".join(values) if values else None
    if expression.startswith("$request.querystring."):
        values = request.query.get(expression[len("$request.querystring."):])
        return ",".join(values) if values else None
    if expression.startswith("$request.path."):
        return request.path_parameters.get(expression[len("$request.path."):])
    if expression.startswith("$stageVariables."):
        return request.stage_variables.get(expression[len("$stageVariables."):])
    if expression.startswith("$context."):
        value = request.context.get(expression[len("$context."):])
        return None if value is None else str(value)
    if expression == "$request.body":
        return request.body.decode("utf-8", errors="replace") if request.body else None
    if expression.startswith("$request.body"):
        steps = parse_json_path(expression[len("$request.body"):])
        doc = request.body_json()
        if doc is _NOT_JSON:
            return None  # not JSON (or truncated at 100 KB): the path selects nothing
        for step in steps:
            if isinstance(step, int) and isinstance(doc, list) and step < len(doc):
                doc = doc[step]
            elif isinstance(step, str) and isinstance(doc, dict) and step in doc:
                doc = doc[step]
            else:
                return None
        return None if doc is None else _as_text(doc)
    return expression
