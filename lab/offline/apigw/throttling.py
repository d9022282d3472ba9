"""HTTP API throttling: token buckets per route and for the account.

Source: API Gateway Developer Guide http-api-throttling ("Throttling requests to your HTTP
APIs"): "API Gateway throttles requests to your API using the token bucket algorithm,
where a token counts for a request." A bucket holds `ThrottlingBurstLimit` tokens and
refills at `ThrottlingRateLimit` per second. Account level: 10,000 requests per second
with a burst of 5,000 per Region (quota page). Stage `DefaultRouteSettings` apply to every
route; `RouteSettings[<route key>]` override them for one route. An excess request gets
429 `{"message":"Too Many Requests"}`.

Model choices (not documented): a route's bucket is per API, stage and route key; a
bucket whose limits change starts again full; throttling is applied after route
selection and before authorization (so a throttled request never invokes an authorizer).
"""

from __future__ import annotations

import threading
import time

ACCOUNT_RATE = 10_000.0
ACCOUNT_BURST = 5_000


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = float(rate), int(burst)
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _setting(settings: dict | None, name: str):
    if not settings:
        return None
    for key in (name, name[0].upper() + name[1:]):
        if settings.get(key) is not None:
            return settings[key]
    return None


def route_limits(stage, route_key: str) -> tuple[float, int] | None:
    """(rate, burst) for a route on a stage, or None (only the account limit applies).
    A route setting overrides the stage default, one limit at a time."""
    route = (getattr(stage, "route_settings", None) or {}).get(route_key) or {}
    default = getattr(stage, "default_route_settings", None) or {}
    rate = _setting(route, "throttlingRateLimit")
    burst = _setting(route, "throttlingBurstLimit")
    if rate is None:
        rate = _setting(default, "throttlingRateLimit")
    if burst is None:
        burst = _setting(default, "throttlingBurstLimit")
    if rate is None and burst is None:
        return None
    return (float(ACCOUNT_RATE if rate is None else rate),
            int(ACCOUNT_BURST if burst is None else burst))


class Throttler:
    """All buckets of the endpoint (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._routes: dict[tuple, TokenBucket] = {}
        self._accounts: dict[tuple, TokenBucket] = {}
        self.throttled = 0

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._accounts.clear()
            self.throttled = 0

    def admit(self, account: str, region: str, api_id: str, stage, route_key: str) -> bool:
        """Take a token from the route's bucket and the account's; False = 429."""
        limits = route_limits(stage, route_key)
        now = time.monotonic()
        with self._lock:
            ok = True
            if limits is not None:
                key = (api_id, stage.name, route_key)
                bucket = self._routes.get(key)
                if bucket is None or (bucket.rate, bucket.burst) != limits:
                    bucket = self._routes[key] = TokenBucket(*limits)
                ok = bucket.take(now)
            if ok:
                account_bucket = self._accounts.get((account, region))
                if account_bucket is None:
                    account_bucket = self._accounts[(account, region)] = \
                        TokenBucket(ACCOUNT_RATE, ACCOUNT_BURST)
                ok = account_bucket.take(now)
            if not ok:
                self.throttled += 1
            return ok
