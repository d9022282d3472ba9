"""A small web API behind an HTTP API (Lambda proxy integration, payload format 2.0).

One function serves every route; it dispatches on `event["routeKey"]`, as API Gateway
sets it (e.g. "GET /items/{id}"). Each response says which execution environment served
it and whether that was the environment's first invocation (a cold start), so a client can
see cold starts without reading logs.

Routes:
- `GET /hello`: a JSON greeting (a dict without statusCode: API Gateway infers 200).
- `GET /items/{id}`: the path parameter; 404 (our own) for ids that are not numbers.
- `POST /echo`: the request body back, decoded if API Gateway base64-encoded it.
- `GET /event`: the whole event, to read its shape.
- `GET /fail`: raises: the client sees API Gateway's 500.
- `GET /slow?ms=N` (and `GET /slow-gateway?ms=N`, routed to an integration with a short
  timeout): sleeps N ms, to meet the function's and the integration's timeouts.
- `GET /bad-response`: returns a malformed proxy response: the client sees 500.
"""

import base64
import json
import time
import uuid

ENVIRONMENT_ID = uuid.uuid4().hex  # module scope: once per execution environment
_calls = 0


def _json(status, payload, headers=None):
    return {"statusCode": status,
            "headers": {"content-type": "application/json", **(headers or {})},
            "body": json.dumps(payload)}


def handler(event, context):
    global _calls
    _calls += 1
    served = {"environment_id": ENVIRONMENT_ID, "cold": _calls == 1,
              "request_id": context.aws_request_id}
    route = event.get("routeKey")
    if route == "GET /hello":
        return {"message": "hello from Lambda behind an HTTP API", **served}
    if route == "GET /items/{id}":
        item_id = (event.get("pathParameters") or {}).get("id", "")
        if not item_id.isdigit():
            return _json(404, {"error": f"no item {item_id!r}", **served})
        return _json(200, {"id": int(item_id), "name": f"item {item_id}", **served},
                     headers={"cache-control": "no-store"})
    if route == "POST /echo":
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8", errors="replace")
        return _json(200, {"you_sent": body, "query": event.get("queryStringParameters"),
                           **served})
    if route == "GET /event":
        return _json(200, {"event": event, **served})
    if route == "GET /fail":
        raise RuntimeError("something went wrong inside the handler")
    if route in ("GET /slow", "GET /slow-gateway"):
        ms = int((event.get("queryStringParameters") or {}).get("ms", "100"))
        time.sleep(ms / 1000)
        return _json(200, {"slept_ms": ms, **served})
    if route == "GET /bad-response":
        return {"statusCode": "not a number", "body": 42}
    return _json(404, {"error": f"no handler for {route}", **served})
