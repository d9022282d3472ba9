"""Published on-demand prices the cost estimate uses, with where and when they were read.

US East (N. Virginia), x86, standard queues/log class. The free tier is ignored on purpose,
so the estimate is an upper bound for an experiment (a new account pays less). Prices change:
re-check the pages below before quoting a figure.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_RETRIEVED = "2026-11-27"
PRICES_REGION = "us-east-1"

# USD. Each entry: (price, unit, source page).
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND_X86 = 0.0000166667  # first 6 billion GB-s per month tier
SQS_STANDARD_PER_MILLION_REQUESTS = 0.40  # each 64 KiB chunk of a payload is one request
SQS_FIFO_PER_MILLION_REQUESTS = 0.50
HTTP_API_PER_MILLION_REQUESTS = 1.00  # first 300 million per month
LOGS_INGESTION_PER_GB = 0.50  # standard log class
LOGS_STORAGE_PER_GB_MONTH = 0.03

# Cold-start remedies (issue 20), from https://aws.amazon.com/lambda/pricing/ (US East
# (N. Virginia), x86), figures as recorded in the lab on this date; not re-read from this
# machine (it has no access to the page): re-check them before quoting.
REMEDY_PRICES_RECORDED = "2026-11-29"
# Provisioned concurrency: billed from enabling to disabling (rounded up to 5 minutes),
# idle or not, per GB-s configured; invocations on it pay a lower duration rate.
LAMBDA_PROVISIONED_PER_GB_SECOND_X86 = 0.0000041667
LAMBDA_PROVISIONED_DURATION_PER_GB_SECOND_X86 = 0.0000097222
# SnapStart (Python, .NET): the snapshot cache, per GB-s of the function's memory while the
# version is active (at least 3 hours), and each restore, per GB restored.
LAMBDA_SNAPSTART_CACHE_PER_GB_SECOND = 0.0000015046
LAMBDA_SNAPSTART_RESTORE_PER_GB = 0.0001397998

SOURCES = {
    "lambda": "https://aws.amazon.com/lambda/pricing/ ; "
              "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html",
    "sqs": "https://aws.amazon.com/sqs/pricing/",
    "http_api": "https://aws.amazon.com/api-gateway/pricing/",
    "logs": "https://aws.amazon.com/cloudwatch/pricing/",
}

SQS_CHUNK_BYTES = 64 * 1024
REPORT_LOG_BYTES = 400  # START + END + REPORT lines of one invocation, about


@dataclass(frozen=True)
class Usage:
    """What an experiment consumes, in the units AWS bills."""

    lambda_requests: int = 0
    lambda_gb_seconds: float = 0.0  # INIT is billed too (since 2025-08-01)
    sqs_requests: int = 0  # API calls x 64 KiB chunks, Lambda's own polling included
    sqs_fifo_requests: int = 0
    http_api_requests: int = 0
    log_bytes: int = 0


def lambda_gb_seconds(invocations: int, memory_mb: int, ms_per_invocation: float) -> float:
    return invocations * (memory_mb / 1024) * (ms_per_invocation / 1000)


def estimate(usage: Usage) -> dict[str, float]:
    """Itemised cost in USD (free tier ignored); key "total" is the sum."""
    log_gb = usage.log_bytes / 1024**3
    items = {
        "Lambda requests": usage.lambda_requests / 1e6 * LAMBDA_PER_MILLION_REQUESTS,
        "Lambda duration": usage.lambda_gb_seconds * LAMBDA_PER_GB_SECOND_X86,
        "SQS requests": usage.sqs_requests / 1e6 * SQS_STANDARD_PER_MILLION_REQUESTS
        + usage.sqs_fifo_requests / 1e6 * SQS_FIFO_PER_MILLION_REQUESTS,
        "HTTP API requests": usage.http_api_requests / 1e6 * HTTP_API_PER_MILLION_REQUESTS,
        # a month of storage at most: the lab's log groups keep 1 day
        "CloudWatch Logs": log_gb * (LOGS_INGESTION_PER_GB + LOGS_STORAGE_PER_GB_MONTH),
    }
    items["total"] = sum(items.values())
    return items


def describe() -> str:
    """One paragraph naming the prices, their date and their sources."""
    return (f"Prices: {PRICES_REGION} on-demand, read {PRICES_RETRIEVED}, free tier ignored: "
            f"Lambda ${LAMBDA_PER_MILLION_REQUESTS}/M requests + "
            f"${LAMBDA_PER_GB_SECOND_X86:.10f}/GB-s (x86); SQS ${SQS_STANDARD_PER_MILLION_REQUESTS}/M "
            f"requests (64 KiB chunks; FIFO ${SQS_FIFO_PER_MILLION_REQUESTS}/M); HTTP API "
            f"${HTTP_API_PER_MILLION_REQUESTS}/M requests; CloudWatch Logs "
            f"${LOGS_INGESTION_PER_GB}/GB ingested + ${LOGS_STORAGE_PER_GB_MONTH}/GB-month. "
            f"Sources: {', '.join(SOURCES.values())}")


def remedies_monthly(memory_mb: int, invocations: int, ms_per_invocation: float,
                     cold_starts: int, provisioned: int = 0, hours: float = 730.0) -> dict:
    """Monthly USD of one function under each cold-start strategy (free tier ignored):
    on-demand; provisioned concurrency (`provisioned` environments all month, its traffic
    at the provisioned duration rate); SnapStart (cache all month + one restore per cold
    start). INIT/restore durations are not added: compare like with like."""
    gb = memory_mb / 1024
    requests = invocations / 1e6 * LAMBDA_PER_MILLION_REQUESTS
    duration_gbs = invocations * gb * ms_per_invocation / 1000
    seconds = hours * 3600
    return {
        "on-demand": requests + duration_gbs * LAMBDA_PER_GB_SECOND_X86,
        "provisioned concurrency": requests
        + provisioned * gb * seconds * LAMBDA_PROVISIONED_PER_GB_SECOND_X86
        + duration_gbs * LAMBDA_PROVISIONED_DURATION_PER_GB_SECOND_X86,
        "SnapStart": requests + duration_gbs * LAMBDA_PER_GB_SECOND_X86
        + gb * seconds * LAMBDA_SNAPSTART_CACHE_PER_GB_SECOND
        + cold_starts * gb * LAMBDA_SNAPSTART_RESTORE_PER_GB,
    }
