"""`lab aws plan | run | cleanup`: the aws target from a terminal.

- plan: who you are (STS), the region, what each experiment creates and costs; creates nothing.
- run <experiment>: the same plan, an explicit opt-in, the experiment (torn down in
  `finally`), and optionally the run saved with its metadata.
- cleanup: leftovers by tag and role path, listed; deleted only on an explicit yes.

`--endpoint-url URL` (or LAB_AWS_ENDPOINT_URL) makes any verb a dress rehearsal: the same
code against a `lab serve` on loopback, with fake credentials (anything but loopback is
refused before a request is made). Its output and saved runs say "rehearsal".

Ctrl-C (SIGINT) during `run` stops the experiment, which tears its stack down on the way
out; what it could not delete, `lab aws cleanup` finds by tag and role path.
"""

from __future__ import annotations

import argparse
import json
import sys

ENDPOINT_HELP = ("dress rehearsal: send every call to this lab serve endpoint (loopback only, "
                 "fake credentials; default LAB_AWS_ENDPOINT_URL)")


def add_parser(sub) -> None:
    """Register `lab aws ...` on the `lab` command's subparsers."""
    a = sub.add_parser("aws", help="reproduce in your own AWS test account (opt-in)")
    a.add_argument("--region", help="AWS region (default: the standard chain, or LAB_REGION)")
    a.add_argument("--profile", help="AWS profile (default: the standard chain)")
    a.add_argument("--endpoint-url", dest="endpoint_url", default=None, metavar="URL",
                   help=ENDPOINT_HELP)
    verbs = a.add_subparsers(dest="aws_command", required=True)
    p = verbs.add_parser("plan", help="print identity, region, plan and cost; create nothing")
    p.add_argument("experiments", nargs="*", help="experiments to plan (default: notebook 08's)")
    r = verbs.add_parser("run", help="run one measurement experiment on AWS")
    r.add_argument("experiment", help="an experiment from lab.experiments (see `lab aws plan`)")
    r.add_argument("--param", action="append", default=[], metavar="NAME=JSON",
                   help="experiment parameter, e.g. --param rounds=5 (value parsed as JSON)")
    r.add_argument("--save", metavar="NAME", help="save the run to data/runs/NAME.csv + .json")
    r.add_argument("--runs-dir", default="data/runs", help="where --save writes")
    r.add_argument("--yes", action="store_true",
                   help="opt in without the prompt (same as LAB_AWS_CONFIRM=1)")
    c = verbs.add_parser("cleanup", help="find lab leftovers by tag and role path; delete on yes")
    c.add_argument("--run-id", help="only this run's resources")
    c.add_argument("--yes", action="store_true", help="delete without the prompt")
    for verb in (p, r, c):  # also accepted after the verb: `lab aws run ... --endpoint-url URL`
        verb.add_argument("--endpoint-url", dest="endpoint_url", default=argparse.SUPPRESS,
                          metavar="URL", help=ENDPOINT_HELP)


def _params(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--param {item!r}: expected NAME=VALUE")
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


def make_target(args):
    """The AwsTarget for these arguments (tests replace this with a stubbed target)."""
    from lab.targets.aws import AwsTarget

    return AwsTarget(region=args.region, profile=args.profile,
                     endpoint_url=getattr(args, "endpoint_url", None))


def main(args, *, out=None, stdin=None) -> int:
    """Run one `lab aws` verb; a missing region/credential or an AWS error is one clear line."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lab.aws.plan import UnknownExperiment
    from lab.stack import TeardownError
    from lab.targets.aws import AwsTargetError

    try:
        return _main(args, out=out or sys.stdout, stdin=stdin)
    except KeyboardInterrupt:
        print(f"lab aws {args.aws_command}: interrupted. The experiment tore down what it "
              "could on the way out; `lab aws cleanup` finds anything left (tag "
              "lab:project=serverless-lab, role path /serverless-lab/).",
              file=out or sys.stderr)
        return 130
    except TeardownError as exc:
        print(f"lab aws {args.aws_command}: {exc}. Run `lab aws cleanup` to delete the rest.",
              file=out or sys.stderr)
        return 1
    except (AwsTargetError, BotoCoreError, ClientError, UnknownExperiment) as exc:
        print(f"lab aws {args.aws_command}: {exc}", file=out or sys.stderr)
        return 2


def _main(args, *, out, stdin) -> int:
    from lab.aws import cleanup
    from lab.aws import plan as plans
    from lab.experiments import registry as experiments
    from lab.targets.aws import AwsOptInRequired, announce, connect_aws, opted_in

    target = make_target(args)
    if args.aws_command == "plan":
        names = args.experiments or None
        chosen = [plans.plan_for(n) for n in names] if names else plans.default_plans()
        announce(target, chosen, out=out)
        print("\nNothing was created. `lab aws run <experiment>` runs one.", file=out)
        return 0
    if args.aws_command == "run":
        params = _params(args.param)
        name, experiment = experiments.resolve(args.experiment)
        try:
            connect_aws(target=target, experiment_plans=[plans.plan_for(name, **params)],
                        confirm=True if args.yes else None, stdin=stdin, out=out)
        except AwsOptInRequired as exc:
            print(f"lab aws run: {exc}", file=out)
            return 3
        df = experiment(target, **params)
        marker = _rehearsal_marker(target)
        print(f"{marker}{name}: {len(df)} rows, columns {list(df.columns)}", file=out)
        if args.save:
            from lab.results.data import save_run

            print(f"{marker}saved {save_run(df, args.save, args.runs_dir)} "
                  f"(target {df.attrs['target']})", file=out)
        return 0
    if args.aws_command == "cleanup":
        ident = target.identify()
        found = cleanup.find_leftovers(target, run_id=args.run_id)
        print(f"{_rehearsal_marker(target)}AWS account {ident['Account']}, region "
              f"{target.region} (IAM roles: global)", file=out)
        if not found:
            print("No serverless-lab leftovers found.", file=out)
            return 0
        print(f"{len(found)} leftover(s):", file=out)
        for item in found:
            print(f"  {item}", file=out)
        if not opted_in(confirm=True if args.yes else None, stdin=stdin, stdout=out,
                        prompt=f"Delete these {len(found)} resources? Type yes to continue: "):
            print("Nothing deleted (no explicit yes).", file=out)
            return 3
        deleted, failed = cleanup.delete_leftovers(target, found)
        print(f"Deleted {len(deleted)}.", file=out)
        for item, exc in failed:
            print(f"  FAILED {item}: {exc}", file=out)
        return 1 if failed else 0
    return 2


def _rehearsal_marker(target) -> str:
    if getattr(target, "rehearsal", False):
        return f"REHEARSAL against {target.endpoint_url} (not AWS): "
    return ""


def parse(argv: list[str]) -> argparse.Namespace:
    """`lab aws ...` arguments alone (for tests and `python -m lab.cli.aws`)."""
    parser = argparse.ArgumentParser(prog="lab")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["aws", *argv])
