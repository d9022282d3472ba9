"""What an experiment will create on AWS and what it will cost, shown before anything exists.

The usage per experiment is a model of the calls the experiment makes (stated below), priced
with `lab.aws.pricing`. It errs high: the free tier is ignored and Lambda's idle SQS polling
is counted for the whole run.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from lab.aws import pricing
from lab.aws.pricing import Usage

# Lambda's SQS poller: about 5 long-polling connections (20 s each) per mapping while it
# exists, i.e. ~15 ReceiveMessage calls a minute even when idle (Lambda Developer Guide,
# services-sqs-scaling).
IDLE_POLL_REQUESTS_PER_MINUTE = 15


@dataclass
class ExperimentPlan:
    """Resources (one line each) and modelled usage of one experiment on AWS."""

    experiment: str
    resources: list[str]
    usage: Usage
    minutes: float
    parameters: dict = field(default_factory=dict)

    def cost(self) -> dict[str, float]:
        return pricing.estimate(self.usage)


# Other spellings (after "-" -> "_") of an experiment's name (`lab aws plan|run <name>`).
ALIASES = {"pipeline_latency": "latency", "cold_starts": "cold_start", "coldstart": "cold_start",
           "cold_vs_warm": "cold_start"}


class UnknownExperiment(ValueError):
    """An experiment name neither `lab aws plan` nor `lab aws run` knows."""


def canonical(name: str) -> str:
    """The experiment name `name` stands for (dashes or underscores, any alias)."""
    key = name.replace("-", "_")
    return ALIASES.get(key, key)


TAG_LINE = "every resource tagged lab:project=serverless-lab and lab:run-id=<run-id>"
# Calls a boto3 loop makes per second against AWS when nothing waits (about 30 ms a call).
TIGHT_LOOP_CALLS_PER_S = 30


def _function_resources(stack: str, fn: str, memory_mb: int, extra_role: str = "") -> list[str]:
    return [f"IAM role /serverless-lab/{stack}-<run-id>-fn-role (inline policy: write its own "
            f"log group{extra_role})",
            f"CloudWatch log group /aws/lambda/{stack}-<run-id>-{fn} (retention 1 day)",
            f"Lambda function {stack}-<run-id>-{fn} (python3.12, {memory_mb} MB, zip)"]


def latency_plan(n_requests: int = 20, memory_size: int = 128, handler_ms: float = 5.0,
                 stack_name: str = "pipeline") -> ExperimentPlan:
    """`lab.experiments.latency.pipeline_latency`: HTTP API -> SQS -> Lambda. One API
    request, one SendMessage, a receive/delete per message (batches need fewer), the
    recorder's log line and a REPORT line each, idle polling while the mapping exists."""
    minutes = 5 + n_requests / 600
    usage = Usage(lambda_requests=n_requests,
                  lambda_gb_seconds=pricing.lambda_gb_seconds(n_requests, memory_size,
                                                              handler_ms + 150),
                  sqs_requests=3 * n_requests + int(IDLE_POLL_REQUESTS_PER_MINUTE * minutes),
                  http_api_requests=n_requests,
                  log_bytes=n_requests * pricing.REPORT_LOG_BYTES * 3)
    resources = [f"SQS queue {stack_name}-<run-id>-requests (standard)",
                 *_function_resources(stack_name, "recorder", memory_size,
                                      "; receive/delete/get-attributes on its queue"),
                 f"Event source mapping {stack_name}-<run-id>-requests -> the function",
                 f"IAM role /serverless-lab/{stack_name}-<run-id>-api-role (sqs:SendMessage on "
                 "its queue only)",
                 f"HTTP API {stack_name}-<run-id>-api: POST /messages -> SQS-SendMessage, "
                 "stage $default",
                 f"CloudWatch log group /lab/apigw/{stack_name}-<run-id>-access (access log, "
                 "retention 1 day)", TAG_LINE]
    return ExperimentPlan("latency", resources, usage, minutes,
                          {"n_requests": n_requests, "memory_size": memory_size})


def cold_start_plan(rounds: int = 3, warm_per_round: int = 3, memory_size: int = 128,
                    init_ms: float = 600.0, stack_name: str = "coldwarm") -> ExperimentPlan:
    """`lab.experiments.cold_starts.cold_vs_warm`: forced cold starts the lambda-perf way
    (update an environment variable, invoke), each followed by warm invokes. INIT is billed
    since 2025-08-01; the handler imports boto3 (~600 ms INIT budgeted, on the high side)."""
    warm = rounds * warm_per_round
    minutes = 2 + rounds * 0.25
    usage = Usage(lambda_requests=rounds + warm,
                  lambda_gb_seconds=pricing.lambda_gb_seconds(rounds, memory_size, init_ms + 50)
                  + pricing.lambda_gb_seconds(warm, memory_size, 50),
                  log_bytes=(rounds + warm) * pricing.REPORT_LOG_BYTES * 2)
    return ExperimentPlan("cold_start", [*_function_resources(stack_name, "fn", memory_size),
                                         TAG_LINE], usage, minutes,
                          {"rounds": rounds, "warm_per_round": warm_per_round,
                           "memory_size": memory_size})


def redelivery_plan(n_messages: int = 6, max_receive_count: int = 3, visibility_timeout: int = 2,
                    wait_time_seconds: int = 1, stack_name: str = "redelivery") -> ExperimentPlan:
    """`lab.experiments.redelivery.redelivery`: a plain SQS consumer that crashes on some
    attempts; messages come back after the visibility timeout, poison ones end in the DLQ.
    Receives on two queues for the whole run (a long poll of `wait_time_seconds` each)."""
    seconds = 30 + max_receive_count * visibility_timeout * 2
    polls = int(2 * seconds / max(wait_time_seconds, 0.05))
    usage = Usage(sqs_requests=n_messages * (1 + 2 * max_receive_count) + polls + 10)
    resources = [f"SQS queue {stack_name}-<run-id>-dlq (dead-letter queue)",
                 f"SQS queue {stack_name}-<run-id>-work (RedrivePolicy maxReceiveCount="
                 f"{max_receive_count}, visibility timeout {visibility_timeout} s)", TAG_LINE]
    return ExperimentPlan("redelivery", resources, usage, seconds / 60,
                          {"n_messages": n_messages, "max_receive_count": max_receive_count,
                           "visibility_timeout": visibility_timeout})


def polling_plan(n_messages: int = 20, rate_per_s: float = 4.0,
                 wait_times: tuple[int, ...] = (0, 20), stack_name: str = "polling") -> ExperimentPlan:
    """`lab.experiments.polling.polling`: short polls in a tight loop vs long polls."""
    seconds = n_messages / rate_per_s + 5
    calls = 0
    for wait in wait_times:
        calls += 2 * n_messages + int(seconds * (TIGHT_LOOP_CALLS_PER_S if wait == 0
                                                 else 1 / max(wait, 1)))
    resources = [f"SQS queue {stack_name}-<run-id>-poll-{w}s" for w in wait_times] + [TAG_LINE]
    return ExperimentPlan("polling", resources, Usage(sqs_requests=calls),
                          len(wait_times) * seconds / 60,
                          {"n_messages": n_messages, "wait_times": list(wait_times)})


PLANS = {"latency": latency_plan, "cold_start": cold_start_plan, "redelivery": redelivery_plan,
         "polling": polling_plan}


def plan_for(experiment: str, **parameters) -> ExperimentPlan:
    """The plan of one experiment (any name `lab aws run` accepts); parameters the plan does
    not model are ignored. UnknownExperiment if there is no plan."""
    key = canonical(experiment)
    if key not in PLANS:
        raise UnknownExperiment(
            f"no AWS plan for experiment {experiment!r}: known {', '.join(PLANS)}")
    fn = PLANS[key]
    known = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in parameters.items() if k in known})


NOTEBOOK_08 = ("latency", "cold_start", "redelivery")


def default_plans() -> list[ExperimentPlan]:
    """The experiments notebook 08 reproduces, at their default sizes."""
    return [PLANS[name]() for name in NOTEBOOK_08]


def usd(value: float) -> str:
    return "< $0.0001" if 0 < value < 0.0001 else f"${value:.4f}"


def render(plans: list[ExperimentPlan], *, account_id: str, region: str,
           caller_arn: str = "") -> str:
    """The text printed before anything is created."""
    lines = [f"AWS account: {account_id}" + (f"  (as {caller_arn})" if caller_arn else ""),
             f"Region:      {region}", ""]
    total = 0.0
    for plan in plans:
        cost = plan.cost()
        total += cost["total"]
        params = ", ".join(f"{k}={v}" for k, v in plan.parameters.items())
        lines.append(f"Experiment {plan.experiment} ({params}; ~{plan.minutes:.1f} min) creates:")
        lines += [f"  - {r}" for r in plan.resources]
        items = ", ".join(f"{k} ${v:.6f}" for k, v in cost.items() if k != "total" and v)
        lines.append(f"  estimated cost: {usd(cost['total'])}  ({items})")
        lines.append("")
    lines.append(f"Estimated total: {usd(total)} (upper bound, free tier ignored; "
                 "everything is deleted at the end of each run)")
    if region != pricing.PRICES_REGION:
        lines.append(f"Note: prices are {pricing.PRICES_REGION}'s; {region} may differ slightly.")
    lines.append(pricing.describe())
    return "\n".join(lines)
