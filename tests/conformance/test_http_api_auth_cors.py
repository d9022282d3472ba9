"""HTTP API CORS (API Gateway Developer Guide http-api-cors): with a CorsConfiguration the
API answers preflight OPTIONS itself and sets the configured headers on responses; an
origin that is not allowed gets no access-control-* header."""

from __future__ import annotations

import pytest

from tests.conformance.test_http_api_auth_jwt import AuthApi

APP = "http://localhost:8080"


@pytest.fixture(scope="module")
def api(cloud):
    cloud.reset()
    api = AuthApi(cloud, "-cors")
    api.route("GET /photos")
    api.apigw.update_api(ApiId=api.api_id, CorsConfiguration={
        "AllowOrigins": [APP], "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization", "content-type"], "ExposeHeaders": ["x-photo-id"],
        "MaxAge": 300, "AllowCredentials": True})
    return api


def preflight(api, origin: str, path: str = "/photos"):
    return api.call(path, "OPTIONS", {"Origin": origin,
                                      "Access-Control-Request-Method": "POST",
                                      "Access-Control-Request-Headers": "authorization"})


def test_preflight_from_an_allowed_origin_is_answered_without_a_route(api):
    status, headers, body = preflight(api, APP, "/no-such-route")
    assert status == 204 and body == b""
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-allow-methods"] == "GET,POST"
    assert headers["access-control-allow-headers"] == "authorization,content-type"
    assert headers["access-control-max-age"] == "300"
    assert headers["access-control-allow-credentials"] == "true"


def test_preflight_from_a_foreign_origin_gets_no_cors_headers(api):
    status, headers, _ = preflight(api, "https://evil.example")
    assert status == 204
    assert not [h for h in headers if h.startswith("access-control-")]


def test_actual_request_gets_the_configured_headers_only_for_allowed_origins(api):
    status, headers, _ = api.call("/photos", headers={"Origin": APP})
    assert status == 200
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-expose-headers"] == "x-photo-id"
    status, headers, _ = api.call("/photos", headers={"Origin": "https://evil.example"})
    assert status == 200  # the server answers; the browser withholds it
    assert "access-control-allow-origin" not in headers


def test_without_cors_configuration_options_is_routed(api):
    api.apigw.delete_cors_configuration(ApiId=api.api_id)
    status, headers, _ = preflight(api, APP)
    assert status == 404 and "access-control-allow-origin" not in headers
