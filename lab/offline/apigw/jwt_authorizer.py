"""JWT authorizers of HTTP APIs: the token checks API Gateway documents, with PyJWT.

Source: API Gateway Developer Guide http-api-jwt-authorizer ("Controlling access to HTTP
APIs with JWT authorizers", "Validating JWTs"):
1. The identity source (default `$request.header.Authorization`) holds the token, alone or
   prefixed with `Bearer `. None -> 401 `{"message":"Unauthorized"}`.
2. The issuer's `jwks_uri` (from `{issuer}/.well-known/openid-configuration`) supplies the
   public key named by the token's `kid`; API Gateway supports RSA algorithms only
   (RS256/384/512 here); keys are cached (here: 2 hours, refetched at most once a
   minute when a token names an unknown `kid`).
3. Claims: `iss` = the configured issuer; `aud` one of the configured audiences, or, when
   the token has no `aud`, `client_id` one of them; `exp` after now, `nbf` and `iat`
   before now. Any failure -> 401.
4. The route's `AuthorizationScopes`: the token's `scope` (space separated) or `scp`
   must hold at least one of them, else 403 `{"message":"Forbidden"}`.
The integration receives the claims and the token's scopes
(`requestContext.authorizer.jwt` in payload 2.0). Claim values are passed as strings
(numbers as digits, arrays as `[a b]`): a model of what AWS shows.

Offline difference (documented): AWS requires an `https://` issuer. `lab serve` fetches
the discovery document itself over HTTP, so it also accepts `http://` on a loopback
address (127.0.0.0/8, ::1, localhost) - `lab.stack.issuer.LocalIssuer` serves one - and
refuses any other host (the endpoint never calls out to the internet).
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

import jwt

ALGORITHMS = ["RS256", "RS384", "RS512"]
KEYS_TTL_S = 7200
REFETCH_MIN_INTERVAL_S = 60
FETCH_TIMEOUT_S = 5


class AuthorizerConfigError(Exception):
    """The authorizer cannot work (bad issuer, discovery unreachable): 500 on AWS too."""


@dataclass
class JwtResult:
    status: int  # 200 allowed, 401, 403
    error: str | None = None
    claims: dict | None = None
    scopes: list[str] | None = None


def issuer_allowed(issuer: str) -> bool:
    """https anywhere (as AWS), or http on a loopback address (offline only)."""
    parts = urlparse(issuer or "")
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def token_from(value: str | None) -> str | None:
    """The token in an identity source value: alone or after `Bearer `."""
    if not value:
        return None
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def _get_json(url: str) -> dict:
    if not issuer_allowed(url):
        raise AuthorizerConfigError(f"{url}: offline, only https or loopback http URLs")
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as resp:  # noqa: S310
        return json.loads(resp.read())


class KeyCache:
    """Issuer -> {kid: public key}, from discovery + JWKS, cached."""

    def __init__(self):
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, dict]] = {}
        self.fetches = 0

    def reset(self) -> None:
        with self._lock:
            self._keys.clear()

    def _fetch(self, issuer: str) -> dict:
        try:
            discovery = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
            jwks = _get_json(discovery["jwks_uri"])
            keys = {}
            for jwk in jwks.get("keys", []):
                if jwk.get("kty") == "RSA":
                    keys[jwk.get("kid")] = jwt.PyJWK(jwk).key
        except AuthorizerConfigError:
            raise
        except Exception as exc:  # unreachable, not JSON, no jwks_uri ...
            raise AuthorizerConfigError(f"cannot read the keys of issuer {issuer}: {exc}")\
                from exc
        self.fetches += 1
        return keys

    def key(self, issuer: str, kid: str | None):
        with self._lock:
            fetched_at, keys = self._keys.get(issuer, (0.0, None))
            age = time.monotonic() - fetched_at
            if keys is None or age > KEYS_TTL_S or (
                    kid not in keys and age > REFETCH_MIN_INTERVAL_S):
                keys = self._fetch(issuer)
                self._keys[issuer] = (time.monotonic(), keys)
            return keys.get(kid)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def token_scopes(claims: dict) -> list[str] | None:
    if "scope" in claims:
        scope = claims["scope"]
        return scope.split() if isinstance(scope, str) else [str(s) for s in _as_list(scope)]
    if "scp" in claims:
        scp = claims["scp"]
        return scp.split() if isinstance(scp, str) else [str(s) for s in _as_list(scp)]
    return None


def claim_strings(claims: dict) -> dict[str, str]:
    """Claims as the integration sees them (model: strings, arrays as `[a b]`)."""
    out = {}
    for name, value in claims.items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, dict):
            out[name] = json.dumps(value, separators=(",", ":"))
        else:
            out[name] = str(value)
    return out


def verify(token: str | None, config: dict, route_scopes: list[str] | None,
           keys: KeyCache) -> JwtResult:
    """Check one token against an authorizer's JwtConfiguration and a route's scopes."""
    if not token:
        return JwtResult(401, "no token in the identity source")
    issuer = config.get("issuer") or config.get("Issuer") or ""
    audiences = _as_list(config.get("audience") or config.get("Audience"))
    if not issuer_allowed(issuer):
        raise AuthorizerConfigError(
            f"issuer {issuer!r}: AWS requires https (offline also http on loopback)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        return JwtResult(401, f"malformed token: {exc}")
    if header.get("alg") not in ALGORITHMS:
        return JwtResult(401, f"unsupported algorithm {header.get('alg')!r} (RSA only)")
    key = keys.key(issuer, header.get("kid"))
    if key is None:
        return JwtResult(401, f"no key {header.get('kid')!r} in the issuer's JWKS")
    try:
        claims = jwt.decode(
            token, key, algorithms=ALGORITHMS, issuer=issuer,
            options={"verify_aud": False, "require": ["exp", "iss"]})
    except jwt.PyJWTError as exc:
        return JwtResult(401, f"{type(exc).__name__}: {exc}")
    now = time.time()
    for name in ("nbf", "iat"):  # PyJWT checks these too; stated here as AWS lists them
        if name in claims and float(claims[name]) > now:
            return JwtResult(401, f"{name} is in the future")
    if "aud" in claims:
        if not set(map(str, _as_list(claims["aud"]))) & set(audiences):
            return JwtResult(401, "aud matches none of the configured audiences")
    elif str(claims.get("client_id")) not in audiences:
        return JwtResult(401, "no aud, and client_id matches none of the audiences")
    scopes = token_scopes(claims)
    if route_scopes and not set(scopes or ()) & set(route_scopes):
        return JwtResult(403, "the token has none of the route's authorization scopes",
                         claims, scopes)
    return JwtResult(200, None, claims, scopes)
