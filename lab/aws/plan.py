"""What an experiment will create on AWS and what it will cost, shown before anything exists.

The usage per experiment is a model of the calls the experiment makes (stated below), priced
with `lab.aws.pricing`. It errs high: the free tier is ignored and Lambda's idle SQS polling
is counted for the whole run.
"""

from __future__ import annotations

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


def _pipeline_resources(stack: str, *, api: bool, dlq: bool) -> list[str]:
    out = [f"SQS queue {stack}-<run-id>-work (standard)",
           f"IAM role /serverless-lab/{stack}-<run-id>-fn-role (inline policies: own log "
           "group; receive/delete/get-attributes on its queue)",
           f"CloudWatch log group /aws/lambda/{stack}-<run-id>-handler (retention 1 day)",
           f"Lambda function {stack}-<run-id>-handler (python3.12, 128 MB, zip)",
           f"Event source mapping work queue -> {stack}-<run-id>-handler"]
    if dlq:
        out.insert(0, f"SQS queue {stack}-<run-id>-dlq (dead-letter queue)")
    if api:
        out += [f"IAM role /serverless-lab/{stack}-<run-id>-api-role (sqs:SendMessage on "
                "its queue only)",
                f"HTTP API {stack}-<run-id>-api, route POST /messages -> SQS-SendMessage, "
                "stage $default"]
    return out + ["every resource tagged lab:project=serverless-lab, lab:run-id=<run-id>"]


def latency_plan(messages: int = 200, memory_mb: int = 128, handler_ms: float = 5.0) -> ExperimentPlan:
    """HTTP API -> SQS -> Lambda: one API request, one SendMessage, a receive/delete per
    message (batches would need fewer), a REPORT line each."""
    minutes = 5 + messages / 600
    usage = Usage(lambda_requests=messages,
                  lambda_gb_seconds=pricing.lambda_gb_seconds(messages, memory_mb, handler_ms + 150),
                  sqs_requests=3 * messages + int(IDLE_POLL_REQUESTS_PER_MINUTE * minutes),
                  http_api_requests=messages, log_bytes=messages * pricing.REPORT_LOG_BYTES)
    return ExperimentPlan("latency", _pipeline_resources("latency", api=True, dlq=False), usage,
                          minutes, {"messages": messages, "memory_mb": memory_mb})


def cold_start_plan(cold: int = 20, warm: int = 20, memory_mb: int = 128,
                    init_ms: float = 300.0) -> ExperimentPlan:
    """Forced cold starts the lambda-perf way (update an environment variable, invoke)
    plus warm invokes; INIT is billed since 2025-08-01."""
    invocations = cold + warm
    minutes = 2 + cold * 0.25
    usage = Usage(lambda_requests=invocations,
                  lambda_gb_seconds=pricing.lambda_gb_seconds(cold, memory_mb, init_ms + 50)
                  + pricing.lambda_gb_seconds(warm, memory_mb, 50),
                  log_bytes=invocations * pricing.REPORT_LOG_BYTES)
    resources = [
        "IAM role /serverless-lab/cold-start-<run-id>-fn-role (inline policy: own log group)",
        "CloudWatch log group /aws/lambda/cold-start-<run-id>-handler (retention 1 day)",
        "Lambda function cold-start-<run-id>-handler (python3.12, 128 MB, zip)",
        "every resource tagged lab:project=serverless-lab, lab:run-id=<run-id>"]
    return ExperimentPlan("cold_start", resources, usage, minutes,
                          {"cold": cold, "warm": warm, "memory_mb": memory_mb})


def redelivery_plan(messages: int = 5, max_receive_count: int = 3,
                    visibility_timeout: int = 10, memory_mb: int = 128) -> ExperimentPlan:
    """Every message fails until it reaches the DLQ: max_receive_count attempts each."""
    attempts = messages * max_receive_count
    minutes = 3 + max_receive_count * visibility_timeout / 60 * 2
    usage = Usage(lambda_requests=attempts,
                  lambda_gb_seconds=pricing.lambda_gb_seconds(attempts, memory_mb, 200),
                  sqs_requests=messages * 3 + attempts * 2
                  + int(2 * IDLE_POLL_REQUESTS_PER_MINUTE * minutes),
                  log_bytes=attempts * pricing.REPORT_LOG_BYTES * 3)
    return ExperimentPlan("redelivery", _pipeline_resources("redelivery", api=False, dlq=True),
                          usage, minutes, {"messages": messages,
                                           "max_receive_count": max_receive_count,
                                           "visibility_timeout": visibility_timeout})


PLANS = {"latency": latency_plan, "cold_start": cold_start_plan, "redelivery": redelivery_plan}


def plan_for(experiment: str, **parameters) -> ExperimentPlan:
    key = experiment.replace("-", "_")
    key = {"cold_starts": "cold_start", "coldstart": "cold_start"}.get(key, key)
    if key not in PLANS:
        raise KeyError(f"no AWS plan for experiment {experiment!r}: known {', '.join(PLANS)}")
    return PLANS[key](**parameters)


def default_plans() -> list[ExperimentPlan]:
    """The three experiments notebook 08 reproduces, at their default sizes."""
    return [latency_plan(), cold_start_plan(), redelivery_plan()]


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
        lines.append(f"Experiment {plan.experiment} ({params}; ~{plan.minutes:.0f} min) creates:")
        lines += [f"  - {r}" for r in plan.resources]
        items = ", ".join(f"{k} ${v:.6f}" for k, v in cost.items() if k != "total" and v)
        lines.append(f"  estimated cost: ${cost['total']:.4f}  ({items})")
        lines.append("")
    lines.append(f"Estimated total: ${total:.4f} (upper bound; deleted at the end of each run)")
    if region != pricing.PRICES_REGION:
        lines.append(f"Note: prices are {pricing.PRICES_REGION}'s; {region} may differ slightly.")
    lines.append(pricing.describe())
    return "\n".join(lines)
