"""A SnapStart snapshot template: `python -m _lab_snapstart <handler>` (a MODEL).

Lambda's SnapStart runs INIT once when a version is published, runs the before-snapshot
hooks, snapshots the Firecracker microVM (memory and disk) and later restores new
execution environments from it. Offline this is MODELLED with fork(): this process runs
awslambdaric as usual (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, so awslambdaric itself
imports the handler, then runs the `snapshot_restore_py` before-snapshot hooks and calls
the Runtime API's restore/next). Its `restore_next` is replaced: the template becomes a
fork server on the unix socket `_LAB_SNAPSTART_SOCKET`. Each request carries the new
environment's Runtime API address and the write end of its log pipe; the forked child
takes them and returns from `restore_next`, so awslambdaric runs the after-restore hooks
and asks for its first event: an environment "restored" with every object INIT made.
The fork happens inside the template's own process tree (a sandbox around the template
holds its restored children too). Each child sends nothing back; the template reports
its exit status on the request's connection.
"""

import json
import os
import select
import socket
import sys
import time


class _RuntimeClient:
    """The native `runtime_client` module's calls over http.client, for one address."""

    def __init__(self, address: str):
        self.address = address

    def _call(self, method, path, body=None, headers=None):
        import http.client

        conn = http.client.HTTPConnection(self.address)
        conn.request(method, "/2018-06-01/runtime" + path, body, headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return data, {k: v for k, v in resp.getheaders()}

    def next(self):
        return self._call("GET", "/invocation/next")

    def post_invocation_result(self, invoke_id, data, content_type="application/json",
                               invocation_id=None):
        self._call("POST", f"/invocation/{invoke_id}/response", data,
                   {"Content-Type": content_type})

    def post_error(self, invoke_id, error_response_data, xray_fault, invocation_id=None):
        doc = json.loads(error_response_data) if error_response_data else {}
        self._call("POST", f"/invocation/{invoke_id}/error", error_response_data,
                   {"Content-Type": "application/json",
                    "Lambda-Runtime-Function-Error-Type": doc.get("errorType", "Unhandled"),
                    "Lambda-Runtime-Function-XRay-Error-Cause": xray_fault or ""})


def _fork_server(client) -> None:
    """Serve fork requests until one returns in a child (the restored environment)."""
    path = os.environ.pop("_LAB_SNAPSTART_SOCKET")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".tmp")
    server.listen(128)
    os.rename(path + ".tmp", path)  # the socket appears when the snapshot is "taken"
    children = {}  # pid -> the connection its exit status goes to
    template = os.getpid()
    while True:
        ready, _, _ = select.select([server], [], [], 0.05)
        if ready:
            conn, _ = server.accept()
            msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
            request = json.loads(msg)
            sys.stdout.flush()
            sys.stderr.flush()
            # A microVM snapshot holds the PRNG state; CPython reseeds `random` in a forked
            # child, so the child gets the template's state back (the uniqueness hazard).
            rng = sys.modules.get("random")
            rng_state = rng.getstate() if rng is not None else None
            pid = os.fork()
            if pid == 0:  # the restored environment
                server.close()
                conn.close()
                for other in children.values():
                    other.close()
                if rng_state is not None:
                    rng.setstate(rng_state)
                os.setsid()
                # It ends when the template does (the template ends with lab serve): the
                # bootstrap's portable parent watcher (no prctl: macOS has none).
                sitecustomize = sys.modules.get("sitecustomize")
                if sitecustomize is not None and hasattr(sitecustomize, "watch_parent"):
                    sitecustomize.watch_parent(template)
                elif os.getppid() != template:
                    os._exit(1)
                os.dup2(fds[0], 1)
                os.dup2(fds[0], 2)
                os.close(fds[0])
                os.environ.update(request["env"])
                client.lambda_runtime_address = request["env"]["AWS_LAMBDA_RUNTIME_API"]
                from awslambdaric import lambda_runtime_client as rc

                # The native client keeps the address it first used: this child talks to
                # its own Runtime API through the same calls, in Python.
                rc.runtime_client = _RuntimeClient(client.lambda_runtime_address)
                return
            os.close(fds[0])
            conn.sendall(f"{pid} {time.time_ns()}\n".encode())
            children[pid] = conn
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = children.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conn.close()


def main() -> None:
    from awslambdaric import __main__ as ric_main
    from awslambdaric import lambda_runtime_client as rc

    rc.BaseLambdaRuntimeClient.restore_next = _fork_server
    ric_main.main(sys.argv)


if __name__ == "__main__":
    main()
