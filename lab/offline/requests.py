"""What the lab's routes read from an incoming AWS API request."""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

# SigV4: Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/...
_CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")


def request_region(request: Request, default: str) -> str:
    """The region the request was signed for (SigV4 credential scope), else `default`."""
    found = _CREDENTIAL_REGION.search(request.headers.get("Authorization", ""))
    return found.group(1) if found else default
