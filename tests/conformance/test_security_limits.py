"""AWS's limits hold before the work (issue 15, findings 5 and 6): a deployment package is
checked at CreateFunction (a corrupt zip, more than 250 MB unzipped, more than a direct
upload takes), a request body is limited while it streams (a 300 MB Invoke is refused
without being read into memory), and unzipped code leaves the cache when its function is
deleted or the endpoint reset.

Sources: Lambda Developer Guide gettingstarted-limits (50 MB zipped direct upload, 250 MB
unzipped, 6 MB synchronous payload); API_CreateFunction, API_Invoke errors.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import zipfile
from urllib.parse import urlsplit

from lab.offline.lambda_.processes import rss_kb
from tests.fixtures.common import client_error
from tests.fixtures.lambda_ import deploy, invoke, role_arn, wait_until, zip_of

BAD_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."


def _create(cloud, package: bytes, name: str = "limits-fn"):
    return cloud.client("lambda").create_function(
        FunctionName=name, Role=role_arn(cloud), Handler="app.handler", Runtime="python3.12",
        Code={"ZipFile": package})


def _bomb(unzipped: int) -> bytes:
    """A small zip that unzips to `unzipped` bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.bin", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(unzipped // len(chunk)):
                fh.write(chunk)
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    return buf.getvalue()


def test_a_corrupt_zip_is_refused_at_create_function(clean_cloud):
    good = zip_of({"app.py": "def handler(e, c):\n    return 1\n"})
    for package in (b"not a zip at all", good[: len(good) // 2], good[:30] + b"X" * 40 + good[70:]):
        err = client_error(_create, clean_cloud, package)
        assert (err.code, err.status, err.message) == ("InvalidParameterValueException", 400,
                                                        BAD_ZIP)
    lam = clean_cloud.client("lambda")
    assert lam.list_functions()["Functions"] == [], "nothing was created"


def test_a_package_over_250_mb_unzipped_is_refused(clean_cloud):
    package = _bomb(251 * 1024 * 1024)
    assert len(package) < 1024 * 1024
    err = client_error(_create, clean_cloud, package)
    assert (err.code, err.status) == ("InvalidParameterValueException", 400)
    assert err.message == "Unzipped size must be smaller than 262144000 bytes"


def test_a_direct_upload_over_50_mb_zipped_is_refused(clean_cloud):
    package = zip_of({"app.py": "x = 1\n"}) + os.urandom(51 * 1024 * 1024)  # stored, 51 MB
    err = client_error(_create, clean_cloud, package)
    assert (err.code, err.status) == ("RequestEntityTooLargeException", 413)
    assert "Request must be smaller than 70167211 bytes for the CreateFunction operation" \
        in err.message


def _raw_post(url: str, path: str, length: int, send: int, headers: dict | None = None
              ) -> tuple[int, bytes]:
    """POST announcing `length` bytes, send `send` of them, read the answer."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.create_connection((host, port), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {length}",
                *[f"{k}: {v}" for k, v in (headers or {}).items()], "", ""]
        sock.sendall("\r\n".join(head).encode())
        chunk = b"x" * (1 << 20)
        sent = 0
        try:
            while sent < send:
                sock.sendall(chunk[: min(len(chunk), send - sent)])
                sent += min(len(chunk), send - sent)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 10:
            more = sock.recv(65536)
            if not more:
                break
            data += more
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_a_300_mb_invoke_is_refused_without_reading_it_into_memory(serve_process, cloud):
    name = deploy(cloud, "def handler(e, c):\n    return 1\n")
    before = rss_kb(serve_process.pid)
    status, body = _raw_post(serve_process.url, f"/2015-03-31/functions/{name}/invocations",
                             300 * 1024 * 1024, 300 * 1024 * 1024)
    assert status == 413
    assert json.loads(body)["__type"] == "RequestTooLargeException"
    after = rss_kb(serve_process.pid)
    assert after - before < 50 * 1024, f"RSS grew by {(after - before) // 1024} MB"
    status, body = _raw_post(serve_process.url, "/", 300 * 1024 * 1024, 300 * 1024 * 1024)
    assert status == 413, "any route: the body is refused before it is read"
    assert invoke(cloud, name)["body"] == 1, "the endpoint still answers"


def _cached(serve_process) -> list[str]:
    import glob

    return glob.glob(f"/tmp/lab-lambda-{serve_process.pid}-*/code/*")


def test_the_code_cache_is_cleaned_on_delete_and_reset(serve_process, clean_cloud):
    names = [deploy(clean_cloud, f"def handler(e, c):\n    return {i}\n") for i in range(2)]
    for name in names:
        invoke(clean_cloud, name)
    assert len(_cached(serve_process)) == 2
    clean_cloud.client("lambda").delete_function(FunctionName=names[0])
    wait_until(lambda: len(_cached(serve_process)) == 1, 10, what="deleted function's code gone")
    clean_cloud.reset()
    assert _cached(serve_process) == []


def test_a_zip_in_base64_that_is_not_base64_is_refused(serve_process):
    import http.client

    conn = http.client.HTTPConnection(urlsplit(serve_process.url).netloc, timeout=10)
    body = json.dumps({"FunctionName": "b64", "Runtime": "python3.12", "Handler": "a.b",
                       "Role": "arn:aws:iam::123456789012:role/r",
                       "Code": {"ZipFile": "%%%not-base64%%%"}})
    conn.request("POST", "/2015-03-31/functions", body=body,
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 400
    assert json.loads(resp.read())["message"] == BAD_ZIP
    assert base64  # (the client normally sends base64: boto3 encodes the bytes)
