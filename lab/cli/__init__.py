"""The `lab` command: `lab serve`, `lab build`, `lab logs`, `lab aws plan|run|cleanup`."""

from __future__ import annotations

import argparse
import os
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="serverless-lab command line")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the local AWS endpoint (moto + the lab's additions)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; a non-loopback address needs"
                        " --allow-remote)")
    s.add_argument("--port", type=_port, default=4566,
                   help="port (default 4566; 0 = a free port)")
    s.add_argument("--allow-remote", action="store_true",
                   help="allow --host to be reachable from other machines. DANGER: whoever "
                        "reaches the port can run code on this machine as this user")
    s.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also serve requests whose Host header names NAME (repeatable; "
                        "loopback names and addresses are always served)")
    s.add_argument("--exit-with-parent", dest="exit_with_parent", action="store_true",
                   help="stop when the process that started it ends (what lab.connect() asks"
                        " for); by default it runs until stopped (Ctrl-C, SIGTERM, SIGHUP)")
    s.add_argument("--no-exit-with-parent", dest="exit_with_parent", action="store_false",
                   help=argparse.SUPPRESS)  # the default now; accepted for old scripts

    b = sub.add_parser("build", help="execute every notebook offline into build/ (the main job)")
    b.add_argument("--notebooks", default="notebooks", help="folder of NN_*.ipynb notebooks")
    b.add_argument("--out", default="build", help="output folder")
    b.add_argument("--timeout", type=int, default=900, help="seconds per cell")

    from lab.cli.aws import add_parser as add_aws_parser  # lab aws plan | run | cleanup

    add_aws_parser(sub)
    from lab.cli.logs import add_parser as add_logs_parser  # lab logs <function>

    add_logs_parser(sub)
    return p


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: use 0..65535 (0 = a free port)")
    return port


def _serve_on_the_c_allocator(argv: list[str]) -> None:
    """Re-exec `lab serve` (same PID) with PYTHONMALLOC=malloc, unless the variable is set.

    `lab serve` runs for hours on many short-lived threads. CPython's small-object allocator
    keeps a 1 MiB arena while any object in it lives, so a few survivors pinned freed memory:
    after a reset the soak benchmark's RSS stayed 25% above idle (issue 15). On the C
    allocator freed pages go back at the reset (malloc_trim): within 10%. Handlers are not
    affected: their environments are built from scratch."""
    if os.environ.get("PYTHONMALLOC") or not hasattr(os, "execve"):
        return
    env = dict(os.environ, PYTHONMALLOC="malloc")
    os.execve(sys.executable, [sys.executable, "-m", "lab", *argv], env)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        if argv is None:  # a command line, not a caller in this process; before any import
            _serve_on_the_c_allocator(sys.argv[1:])
        from lab.offline.server import serve

        return serve(args.host, args.port, args.exit_with_parent,
                     allow_hosts=tuple(args.allow_host), allow_remote=args.allow_remote)
    if args.command == "build":
        from lab.walkthrough.build import build

        return build(args.notebooks, args.out, args.timeout)
    if args.command == "aws":
        from lab.cli.aws import main as aws_main

        return aws_main(args)
    if args.command == "logs":
        from lab.cli.logs import main as logs_main

        return logs_main(args)
    return 2
