"""HTTP API stage and route selection, as API Gateway documents it.

Source: API Gateway Developer Guide, http-api-develop-routes ("Routing API requests"):
a request goes to the stage it names explicitly, else to `$default`; no stage -> 404
`{"message":"Not Found"}`. Then the most specific route wins, in three tiers:
  1. a full match for route and method (path variables `{name}` match one segment),
  2. a match with a greedy path variable `{proxy+}` (one or more trailing segments),
  3. the `$default` route.
`ANY` matches every method that has no route of its own on that path. Ties inside a tier
are not documented; the lab breaks them the way the guide's example implies (a literal
segment beats a variable, earlier segments count first, a named method beats `ANY`, a
longer literal prefix beats a shorter one for greedy routes). That tie-break is a model.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
DEFAULT_ROUTE = "$default"
DEFAULT_STAGE = "$default"
_VAR = re.compile(r"^\{([A-Za-z0-9._\-]+)(\+?)\}$")


class RouteKeyError(ValueError):
    """A route key API Gateway would reject (BadRequestException)."""


@dataclass(frozen=True)
class RouteKey:
    """A parsed route key: method, path segments, and whether it ends in `{name+}`."""

    key: str
    method: str = ""
    segments: tuple[str, ...] = ()
    greedy: str | None = None  # name of the greedy variable, if any

    @property
    def is_default(self) -> bool:
        return self.key == DEFAULT_ROUTE


@functools.lru_cache(maxsize=4096)  # RouteKey is frozen: one parse per key, not per request
def parse_route_key(key: str) -> RouteKey:
    """Parse `METHOD /path` or `$default`; raise RouteKeyError for what AWS refuses."""
    if key == DEFAULT_ROUTE:
        return RouteKey(key)
    parts = key.split(" ")
    if len(parts) != 2 or parts[0] not in METHODS or not parts[1].startswith("/"):
        raise RouteKeyError(
            f"Unable to create route. Route key '{key}' must be '$default' or "
            f"'<METHOD> /<path>' with METHOD one of {', '.join(METHODS)}")
    method, path = parts
    segments = tuple(path.split("/")[1:]) if path != "/" else ()
    greedy = None
    for i, seg in enumerate(segments):
        m = _VAR.match(seg)
        if seg.startswith("{") and not m:
            raise RouteKeyError(f"Invalid path variable '{seg}' in route key '{key}'")
        if m and m.group(2):
            if i != len(segments) - 1:
                raise RouteKeyError(
                    f"Route key '{key}': a greedy path variable must be the last segment")
            greedy = m.group(1)
    return RouteKey(key, method, segments, greedy)


@dataclass
class RouteMatch:
    route: object  # the moto Route
    key: RouteKey
    path_parameters: dict[str, str] = field(default_factory=dict)


def _match_segments(key: RouteKey, segs: list[str]) -> tuple[dict[str, str], tuple] | None:
    """Path parameters and a sort key (smaller = more specific) if `segs` match `key`."""
    fixed = key.segments[:-1] if key.greedy else key.segments
    if key.greedy:
        if len(segs) <= len(fixed):  # the greedy variable needs at least one segment
            return None
    elif len(segs) != len(fixed):
        return None
    params: dict[str, str] = {}
    rank = []
    for pattern, seg in zip(fixed, segs, strict=False):
        m = _VAR.match(pattern)
        if m:
            if seg == "":
                return None
            params[m.group(1)] = unquote(seg)
            rank.append(1)
        else:
            if pattern != seg:
                return None
            rank.append(0)
    if key.greedy:
        params[key.greedy] = unquote("/".join(segs[len(fixed):]))
    return params, tuple(rank)


def select_route(routes: list, method: str, path: str) -> RouteMatch | None:
    """The route API Gateway picks for `method path`, or None (-> 404 Not Found).

    `routes` are moto Route objects (with `.route_key`); `path` starts with "/" and is
    relative to the stage.
    """
    segs = path.split("/")[1:] if path not in ("", "/") else []
    best = None
    default = None
    for route in routes:
        try:
            key = parse_route_key(route.route_key)
        except RouteKeyError:
            continue
        if key.is_default:
            default = route
            continue
        if key.method not in (method, "ANY"):
            continue
        found = _match_segments(key, segs)
        if found is None:
            continue
        params, rank = found
        tier = 1 if key.greedy else 0
        literal_prefix = -sum(1 for r in rank if r == 0) if key.greedy else 0
        sort_key = (tier, literal_prefix, rank, 0 if key.method == method else 1)
        if best is None or sort_key < best[0]:
            best = (sort_key, RouteMatch(route, key, params))
    if best is not None:
        return best[1]
    if default is not None:
        return RouteMatch(default, RouteKey(DEFAULT_ROUTE))
    return None


def split_stage(api, rest: str) -> tuple[str | None, str]:
    """(stage name, path within the stage) for `rest` = the path after the API id.

    A first segment naming a stage selects it; otherwise `$default` serves the whole path.
    Returns (None, path) when neither exists.
    """
    if not rest.startswith("/"):
        rest = "/" + rest
    first, _, remainder = rest[1:].partition("/")
    if first and first != DEFAULT_STAGE and first in api.stages:
        return first, "/" + remainder
    if DEFAULT_STAGE in api.stages:
        return DEFAULT_STAGE, rest
    return None, rest
