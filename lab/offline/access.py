"""Who may talk to `lab serve`: this machine's own clients, never a web page elsewhere.

`lab serve` runs code on request, so every request passes two checks before any route:
- Host: the `Host` header must name a loopback host (`localhost`, `*.localhost`,
  127.0.0.0/8, `::1`) or one the user allowed (`lab serve --allow-host NAME`). This stops
  DNS rebinding: a page on `evil.example` whose name now resolves to 127.0.0.1 still sends
  `Host: evil.example`.
- Origin: a browser request from a foreign origin (an `Origin` header naming a host the
  Host check would refuse, `Origin: null`, or `Sec-Fetch-Site: cross-site`) is refused on
  the control plane and `/_lab/`: a page elsewhere cannot POST a form to `/_lab/reset` or
  Invoke. The HTTP API data plane (`/_aws/execute-api/...`, Host
  `<apiId>.execute-api.localhost`) is exempt: there the API's own CORS configuration
  decides, as on AWS.
Refusals are AWS-shaped JSON errors (403 `AccessDeniedException`).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from lab.offline.errors import aws_error

DATA_PLANE_PREFIX = "/_aws/execute-api/"
_DATA_PLANE_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.localhost$")


def split_host(value: str) -> str:
    """The host name of a `Host` header value (port and IPv6 brackets removed), lowercased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.rsplit(":", 1)[0]
    return value  # a bare name, or an unbracketed IPv6 address
    # (a malformed value simply fails the loopback test below)


def is_loopback(host: str) -> bool:
    """True for `localhost`, `*.localhost`, 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z)."""
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


class AccessPolicy:
    """The Host and Origin checks; `allowed` are extra host names or addresses (or `*`)."""

    def __init__(self, allowed: tuple[str, ...] | list[str] = ()):
        self.allowed = {split_host(h) for h in allowed if h}

    def host_allowed(self, host: str) -> bool:
        return is_loopback(host) or "*" in self.allowed or host in self.allowed

    def refusal(self, request: Request) -> Response | None:
        """None when the request may be served, else the 403 to answer it with."""
        raw_host = request.environ.get("HTTP_HOST")
        host = split_host(raw_host) if raw_host is not None else None
        # No Host header at all: a raw HTTP/1.0 client, never a browser. Served.
        if host is not None and not self.host_allowed(host):
            return _refuse(
                f"lab serve answers only this machine's clients: Host {raw_host!r} is not a "
                "loopback name or address (allow it with `lab serve --allow-host NAME`)")
        if request.path.startswith(DATA_PLANE_PREFIX) or (
                host is not None and _DATA_PLANE_HOST.match(host)):
            return None  # the HTTP API data plane: the API's own CORS configuration applies
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            return _refuse("lab serve refuses cross-site browser requests to its control "
                           "plane (Sec-Fetch-Site: cross-site)")
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            return _refuse(f"lab serve refuses browser requests from origin {origin!r} to its "
                           "control plane: only pages on this machine may call it")
        return None

    def _origin_allowed(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin.strip())
            host = parts.hostname
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and bool(host) and self.host_allowed(host)


def _refuse(message: str) -> Response:
    return aws_error("AccessDeniedException", message, 403)
