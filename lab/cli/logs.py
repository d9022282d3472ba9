"""`lab logs <function> [--follow] [--since 10m]`: a function's log lines, as `aws logs tail`
prints them (AWS CLI v2 only; the CLI in .venv is v1), offline or on the aws target.

- offline (default): the `lab serve` at --endpoint-url, else LAB_ENDPOINT_URL, else
  http://127.0.0.1:4566 (loopback only: the offline target's clients refuse any other host).
- `--target aws`: your account through boto3's standard chain (profile, region). Reading
  logs creates nothing, so no opt-in is asked; the aws target is never chosen implicitly
  (LAB_TARGET does not switch it) and `--endpoint-url` is refused with it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
_SINCE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def add_parser(sub) -> None:
    """Register `lab logs` on the `lab` command's subparsers."""
    p = sub.add_parser("logs", help="print a Lambda function's log lines (like `aws logs tail`)",
                       description="Print /aws/lambda/<function>'s log events as `aws logs tail`"
                                   " does: timestamp, log stream, message.")
    p.add_argument("function", help="function name (its log group is /aws/lambda/<function>)")
    p.add_argument("--follow", "-f", action="store_true",
                   help="keep printing new lines until Ctrl-C")
    p.add_argument("--since", default="10m",
                   help="how far back to start: <n>s|m|h|d|w (default 10m)")
    p.add_argument("--filter-pattern", help="CloudWatch Logs filter pattern, e.g. '\"REPORT\"'")
    p.add_argument("--target", choices=("offline", "aws"), default="offline",
                   help="offline (default) or aws (read-only, your standard AWS chain)")
    p.add_argument("--endpoint-url",
                   help=f"offline: the lab serve URL (default LAB_ENDPOINT_URL or {DEFAULT_ENDPOINT})")
    p.add_argument("--region", help="region (offline default us-east-1; aws: the chain's)")
    p.add_argument("--profile", help="aws target: the AWS profile")
    p.add_argument("--poll", type=float, default=1.0, help=argparse.SUPPRESS)  # s, --follow


def parse_since(text: str) -> float:
    """'10m' -> 600.0 seconds."""
    found = _SINCE.match(text.strip().lower())
    if not found:
        raise ValueError(f"--since {text!r}: expected a number and a unit, e.g. 30s, 10m, 2h, 1d")
    return int(found.group(1)) * _UNIT_S[found.group(2)]


def make_target(args):
    """The target these arguments name (tests replace this)."""
    if args.target == "aws":
        if args.endpoint_url:
            raise SystemExit("lab logs: --endpoint-url is for the offline target; "
                             "drop it to read AWS, or drop --target aws")
        from lab.targets.aws import AwsTarget, aws_session

        return AwsTarget(aws_session(args.region, args.profile))
    from lab.targets import OfflineTarget

    url = args.endpoint_url or os.environ.get("LAB_ENDPOINT_URL") or DEFAULT_ENDPOINT
    return OfflineTarget(url, args.region or os.environ.get("LAB_REGION") or "us-east-1")


def main(args, *, out=None, err=None, sleep=time.sleep, clock=time.time) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from lab.observe.logs import fetch_log_events, log_group, tail_line
    from lab.targets import OfflineSafetyError

    out, err = out or sys.stdout, err or sys.stderr
    try:
        since_s = parse_since(args.since)
    except ValueError as exc:
        print(f"lab logs: {exc}", file=err)
        return 2
    try:
        target = make_target(args)
    except (OfflineSafetyError, ValueError) as exc:
        print(f"lab logs: {exc}", file=err)
        return 2
    logs = target.client("logs")
    group = log_group(args.function)
    start_ms = int((clock() - since_s) * 1000)
    seen: dict[str, int] = {}  # eventId -> timestamp, for the overlap between polls
    waiting_said = False
    try:
        while True:
            try:
                events = fetch_log_events(logs, group, start_time_ms=start_ms,
                                          filter_pattern=args.filter_pattern)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                if not args.follow:
                    print(f"lab logs: log group {group} does not exist on {_where(target)} "
                          "(has the function run yet?)", file=err)
                    return 1
                if not waiting_said:
                    print(f"lab logs: waiting for {group} to appear...", file=err, flush=True)
                    waiting_said = True
                events = []
            for event in events:
                if event.get("eventId") in seen:
                    continue
                seen[event.get("eventId")] = event["timestamp"]
                print(tail_line(event), file=out, flush=True)
            if not args.follow:
                return 0
            # Poll again from a little before the newest line: on AWS, lines arrive out of
            # order by up to a few seconds (ingestion), and the seen ids drop duplicates.
            if seen:
                start_ms = max(start_ms, max(seen.values()) - 30_000)
                seen = {k: t for k, t in seen.items() if t >= start_ms}
            sleep(args.poll)
    except KeyboardInterrupt:
        return 0
    except (BotoCoreError, ClientError) as exc:
        hint = " (is `lab serve` running there?)" if target.name == "offline" else ""
        print(f"lab logs: {exc} ({_where(target)}){hint}", file=err)
        return 2


def _where(target) -> str:
    if target.name == "offline":
        return f"the offline endpoint {target.endpoint_url}"
    return f"AWS, region {target.region}"
