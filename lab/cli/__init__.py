"""The `lab` command: `lab serve`, `lab build`, `lab logs`, `lab aws plan|run|cleanup`."""

from __future__ import annotations

import argparse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="serverless-lab command line")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the local AWS endpoint (moto + the lab's additions)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=4566, help="port (default 4566; 0 = a free port)")
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from lab.offline.server import serve

        return serve(args.host, args.port, args.exit_with_parent)
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
