"""A local OpenID Connect issuer: discovery, JWKS and tokens, so no identity provider is
needed to try an HTTP API's JWT authorizer.

`LocalIssuer()` generates an RSA key, serves `{issuer}/.well-known/openid-configuration`
(-> `jwks_uri`) and `{issuer}/.well-known/jwks.json` from a thread on a loopback port, and
`mint(...)` signs RS256 tokens with that key (PyJWT on cryptography). The HTTP API's
authorizer (inside `lab serve`) fetches the discovery document over HTTP, so the issuer
must be reachable from the endpoint: offline, `http://127.0.0.1:<port>` works because the
lab accepts an `http://` issuer on a loopback address. AWS requires an `https://` issuer
(in practice Amazon Cognito's `https://cognito-idp.<region>.amazonaws.com/<pool id>` or
another OIDC provider): this helper is a teaching and test tool, never for AWS.

    with LocalIssuer() as issuer:
        token = issuer.mint(sub="alice", aud="photo-api", scope="photos/write")
        # JwtConfiguration={"Issuer": issuer.url, "Audience": ["photo-api"]}
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def new_rsa_key():
    """A fresh 2048-bit RSA private key (cryptography)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class LocalIssuer:
    """An OIDC issuer on `http://127.0.0.1:<port>` (discovery + JWKS) that mints tokens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.key = new_rsa_key()
        self.kid = uuid.uuid4().hex[:16]
        self.requests: list[str] = []  # paths served (to see the endpoint's key caching)
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                issuer.requests.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body = issuer.discovery()
                elif self.path == "/.well-known/jwks.json":
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="lab-local-issuer", daemon=True)
        self._thread.start()

    def discovery(self) -> dict:
        return {"issuer": self.url, "jwks_uri": f"{self.url}/.well-known/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"]}

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def mint(self, sub: str = "learner", aud: str | list[str] | None = None,
             scope: str | list[str] | None = None, expires_in: float = 3600,
             not_before: float | None = None, issued_at: float | None = None,
             issuer: str | None = None, key=None, kid: str | None = None,
             **claims) -> str:
        """An RS256 JWT. `aud=None` leaves `aud` out (pass `client_id=` instead, as Cognito
        access tokens do); `scope` as a list becomes the space-separated `scope` claim;
        `expires_in` may be negative (an expired token); `key` signs with another key (a
        token this issuer's JWKS cannot verify)."""
        now = time.time()
        payload = {"iss": issuer or self.url, "sub": sub,
                   "iat": int(now if issued_at is None else issued_at),
                   "exp": int(now + expires_in)}
        if aud is not None:
            payload["aud"] = aud
        if scope is not None:
            payload["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        if not_before is not None:
            payload["nbf"] = int(not_before)
        payload.update(claims)
        return jwt.encode(payload, key or self.key, algorithm="RS256",
                          headers={"kid": kid or self.kid})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalIssuer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
