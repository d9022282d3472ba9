"""Only this machine's clients reach `lab serve` (issue 15, finding 1): a Host that is not a
loopback name or address is refused (DNS rebinding), so is a browser request from a foreign
origin to the control plane or `/_lab/` (a cross-site form POST to `/_lab/reset`); the HTTP
API data plane answers by the API's own CORS rules instead. Binding beyond loopback needs
--allow-remote, whose help and startup line say that whoever reaches the port can run code.
Refusals are AWS-shaped: 403, JSON, `AccessDeniedException`.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from lab.offline.access import AccessPolicy, is_loopback, split_host
from lab.offline.process import ServeProcess


def _request(url: str, method: str, path: str, headers: dict | None = None,
             body: bytes = b"") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def _refused(status: int, headers: dict, body: bytes) -> bool:
    doc = json.loads(body)
    return (status == 403 and headers["Content-Type"].startswith("application/json")
            and doc["__type"] == "AccessDeniedException" and doc["message"])


@pytest.mark.parametrize("host", ["localhost", "localhost:4566", "127.0.0.1:1", "127.9.9.9",
                                  "[::1]:4566", "fn.execute-api.localhost:4566",
                                  "LOCALHOST"])
def test_loopback_hosts_are_served(serve_process, host):
    status, _, body = _request(serve_process.url, "GET", "/_lab/health", {"Host": host})
    assert status == 200 and json.loads(body)["status"] == "ready"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:4566", "192.168.1.10",
                                  "localhost.evil.example", "127.0.0.1.nip.io", "[::2]"])
def test_a_foreign_host_is_refused_dns_rebinding(serve_process, host):
    for method, path in [("GET", "/_lab/health"), ("POST", "/_lab/reset"),
                         ("GET", "/?Action=ListQueues"),
                         ("POST", "/2015-03-31/functions/f/invocations")]:
        assert _refused(*_request(serve_process.url, method, path, {"Host": host})), path


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"},
                                     {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_cross_site_browser_request_to_the_control_plane_is_refused(serve_process,
                                                                      headers):
    for path in ("/_lab/reset", "/moto-api/reset", "/2015-03-31/functions/f/invocations",
                 "/2015-03-31/functions"):
        assert _refused(*_request(serve_process.url, "POST", path, headers)), path


def test_pages_on_this_machine_may_call_it(serve_process):
    for origin in ("http://localhost:8888", "http://127.0.0.1:3000"):
        status, _, _ = _request(serve_process.url, "GET", "/_lab/health",
                                {"Origin": origin, "Sec-Fetch-Site": "same-site"})
        assert status == 200


def test_the_http_api_data_plane_is_left_to_the_apis_cors(serve_process):
    status, _, body = _request(serve_process.url, "GET", "/_aws/execute-api/nosuchapi/x",
                               {"Origin": "https://evil.example",
                                "Sec-Fetch-Site": "cross-site"})
    assert status == 404 and json.loads(body) == {"message": "Not Found"}


def test_allow_host_serves_a_named_host():
    process = ServeProcess(args=["--allow-host", "lab.internal"])
    try:
        assert _request(process.url, "GET", "/_lab/health",
                        {"Host": "lab.internal:9"})[0] == 200
        assert _refused(*_request(process.url, "GET", "/_lab/health", {"Host": "other"}))
        assert _refused(*_request(process.url, "POST", "/_lab/reset",
                                  {"Host": "lab.internal", "Origin": "http://evil.example"}))
    finally:
        process.stop()


def test_binding_beyond_loopback_needs_allow_remote_which_states_the_risk():
    result = subprocess.run([sys.executable, "-m", "lab", "serve", "--host", "0.0.0.0",
                             "--port", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--allow-remote" in result.stderr
    assert "can run code" in result.stderr and "Traceback" not in result.stderr
    helptext = subprocess.run([sys.executable, "-m", "lab", "serve", "--help"],
                              capture_output=True, text=True, timeout=60).stdout
    assert "whoever reaches the port can run code" in " ".join(helptext.split())
    process = ServeProcess(host="0.0.0.0", args=["--allow-remote"])
    try:
        with open(process.log_path) as fh:
            assert "whoever reaches this port can run code" in fh.read()
    finally:
        process.stop()


@pytest.mark.parametrize("port", ["99999", "-1", "abc"])
def test_an_invalid_port_is_a_clear_error_not_a_traceback(port):
    result = subprocess.run([sys.executable, "-m", "lab", "serve", "--port", port],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "invalid port" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_policy_in_its_own_terms():
    assert split_host("[::1]:80") == "::1" and split_host("Example.COM:1") == "example.com"
    assert all(is_loopback(h) for h in ("localhost", "a.b.localhost", "127.0.0.1",
                                         "127.255.0.1", "::1", "::ffff:127.0.0.1"))
    assert not any(is_loopback(h) for h in ("localhost.example", "10.0.0.1", "::2", ""))
    assert AccessPolicy(["*"]).host_allowed("anything")
