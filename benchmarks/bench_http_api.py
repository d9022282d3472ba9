"""HTTP API -> SQS-SendMessage overhead, against a floor measured in the same run.

At a light steady rate (one request every 20 ms), alternate two calls on one `lab serve`
endpoint (a child process, as notebooks use it), each a fresh HTTP/1.1 connection from
http.client so both pay the same client cost:
- API:    POST <endpoint>/_aws/execute-api/<apiId>/orders  (SQS-SendMessage integration)
- floor:  SendMessage, SQS JSON protocol, straight to the endpoint
Target: p50(API) <= 1.5 x p50(floor). p99 and its ratio are printed too.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from urllib.parse import urlparse

from benchmarks._stats import percentile

TARGET = 1.5
SAMPLES = 300
GAP_S = 0.02


def _post(host: str, port: int, path: str, body: bytes, headers: dict) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    elapsed = (time.perf_counter() - started) * 1000
    if resp.status != 200:
        raise RuntimeError(f"{path}: HTTP {resp.status}")
    return elapsed


def main() -> bool:
    from lab.stack import Stack
    from lab.stack.http_api import invoke_url
    from lab.targets import connect

    with connect("offline", fresh=True) as cloud:
        stack = Stack(cloud, "bench")
        role = stack.role("apigw", "apigateway.amazonaws.com")
        queue = stack.queue("http-api")
        api_id = stack.http_api_to_sqs("api", queue, role_arn=role, route_key="POST /orders")
        queue_url = queue.url

        url = urlparse(cloud.endpoint_url)
        host, port = url.hostname, url.port
        body = json.dumps({"order": "x" * 200}).encode()
        api_call = (urlparse(invoke_url(cloud, api_id)).path + "/orders", body,
                    {"Content-Type": "application/json"})
        direct_call = ("/", json.dumps({"QueueUrl": queue_url,
                                        "MessageBody": body.decode()}).encode(),
                       {"Content-Type": "application/x-amz-json-1.0",
                        "X-Amz-Target": "AmazonSQS.SendMessage",
                        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/"
                                         "us-east-1/sqs/aws4_request, SignedHeaders=host, "
                                         "Signature=0"})
        for _ in range(20):  # warm both paths
            _post(host, port, *api_call)
            _post(host, port, *direct_call)
        api_ms, direct_ms = [], []
        for i in range(SAMPLES):
            first, second = (api_call, direct_call) if i % 2 == 0 else (direct_call, api_call)
            a = _post(host, port, *first)
            time.sleep(GAP_S)
            b = _post(host, port, *second)
            time.sleep(GAP_S)
            (api_ms if first is api_call else direct_ms).append(a)
            (direct_ms if first is api_call else api_ms).append(b)

    p50_api, p50_direct = statistics.median(api_ms), statistics.median(direct_ms)
    p99_api, p99_direct = percentile(api_ms, 0.99), percentile(direct_ms, 0.99)
    ratio50, ratio99 = p50_api / p50_direct, p99_api / p99_direct
    print(f"POST -> SQS-SendMessage via HTTP API: p50 {p50_api:.2f} ms  p99 {p99_api:.2f} ms")
    print(f"direct SendMessage (floor):           p50 {p50_direct:.2f} ms  "
          f"p99 {p99_direct:.2f} ms")
    print(f"ratio p50 {ratio50:.2f}x (target <= {TARGET}x)  ratio p99 {ratio99:.2f}x  "
          f"[{SAMPLES} each, one every {2 * GAP_S * 1000:.0f} ms, alternating]")
    return ratio50 <= TARGET
