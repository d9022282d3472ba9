"""IAM authorization (`AuthorizationType: AWS_IAM`) of HTTP API routes: SigV4 checked.

Source: API Gateway Developer Guide http-api-access-control-iam; IAM User Guide "Signature
Version 4 signing". A route with AWS_IAM needs a request signed with SigV4 for the
`execute-api` service:
- no `Authorization` SigV4 header -> 403 `{"message":"Forbidden"}`;
- an access key the account does not know -> 403 `{"message":"The security token
  included in the request is invalid."}`;
- a signature that does not match, or a date more than 5 minutes off -> 403 with the
  messages AWS uses (`Signature expired: ...`).
The signature is recomputed with botocore's own SigV4Auth from the headers the client
signed (no hand-written crypto) and compared in constant time. Keys: IAM's access keys
(moto's IAM backend) and the lab's default offline credentials (`testing`/`testing`).

Not emulated (documented): IAM policy evaluation of `execute-api:Invoke` (moto never
enforces IAM; a known key with a valid signature is allowed), session tokens of
temporary credentials (accepted when the key itself is known).
The caller reaches the integration as `requestContext.authorizer.iam` (payload 2.0).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

DEFAULT_KEYS = {"testing": "testing"}  # the lab's offline credentials (lab.targets.offline)
MAX_SKEW_S = 300
_AUTH = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),"
                   r"\s*Signature=([0-9a-f]+)")


@dataclass
class IamResult:
    status: int
    error: str | None = None
    message: str = "Forbidden"
    identity: dict | None = None


def _secret_and_user(account_id: str, access_key: str) -> tuple[str | None, dict]:
    from moto.iam.models import iam_backends

    key = iam_backends[account_id]["global"].access_keys.get(access_key)
    if key is not None and getattr(key, "status", "Active") == "Active":
        user = key.user_name
        return key.secret_access_key, {
            "userArn": f"arn:aws:iam::{account_id}:user/{user}" if user else None,
            "userId": user}
    if access_key in DEFAULT_KEYS:
        return DEFAULT_KEYS[access_key], {"userArn": f"arn:aws:iam::{account_id}:root",
                                          "userId": account_id}
    return None, {}


def verify(method: str, host: str, raw_path: str, query: str, headers, body: bytes,
           account_id: str, now: datetime | None = None) -> IamResult:
    """Check one request's SigV4 signature (`headers`: werkzeug Headers)."""
    match = _AUTH.match(headers.get("Authorization", ""))
    if not match:
        return IamResult(403, "the request is not signed with SigV4")
    credential, signed, signature = match.groups()
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return IamResult(403, "malformed credential scope",
                         "Authorization header requires 'Credential' parameter.")
    access_key, date, region, service = parts[0], parts[1], parts[2], parts[3]
    secret, who = _secret_and_user(account_id, access_key)
    if secret is None:
        return IamResult(403, f"unknown access key {access_key}",
                         "The security token included in the request is invalid.")
    amz_date = headers.get("X-Amz-Date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return IamResult(403, "no X-Amz-Date", "Authorization header requires existence of "
                         "either a 'X-Amz-Date' or a 'Date' header.")
    now = now or datetime.now(UTC)
    if abs((now - signed_at).total_seconds()) > MAX_SKEW_S or not amz_date.startswith(date):
        return IamResult(403, "signature expired",
                         f"Signature expired: {amz_date} is now earlier than ... "
                         f"({now.strftime('%Y%m%dT%H%M%SZ')} - 5 min.)")
    names = signed.split(";")
    wanted = {}
    for name in names:
        value = host if name == "host" else headers.get(name)
        if value is None:
            return IamResult(403, f"signed header {name} missing",
                             "The request signature we calculated does not match the "
                             "signature you provided.")
        wanted[name] = value
    content_sha = headers.get("X-Amz-Content-SHA256")
    if content_sha and content_sha != "UNSIGNED-PAYLOAD" and \
            content_sha != hashlib.sha256(body).hexdigest():
        return IamResult(403, "x-amz-content-sha256 does not match the body",
                         "The request signature we calculated does not match the "
                         "signature you provided.")
    url = f"http://{host}{raw_path}" + (f"?{query}" if query else "")
    aws_request = AWSRequest(method=method, url=url, data=body, headers=wanted)
    aws_request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(access_key, secret), service, region)
    canonical = auth.canonical_request(aws_request)
    expected = auth.signature(auth.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, signature):
        return IamResult(403, "signature mismatch",
                         "The request signature we calculated does not match the signature "
                         "you provided. Check your AWS Secret Access Key and signing method. "
                         "Consult the service documentation for details.")
    identity = {"accessKey": access_key, "accountId": account_id, "callerId": who["userId"],
                "principalOrgId": None, "userArn": who["userArn"], "userId": who["userId"]}
    return IamResult(200, None, "", identity)
