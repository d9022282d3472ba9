"""Lambda's Invoke quotas, as the offline Invoke enforces them.

https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: invocation
payload (request and response) 6 MB synchronous, 1 MB asynchronous (Event).
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: `LogType=Tail` returns the
last 4 KB of the execution log.
"""

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # RequestResponse request and response: 6 MB
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # Event: 1 MiB
# A synchronous response over this fails with Function.ResponseSizeTooLarge; Lambda's
# message names 6291556 bytes (6 MB + 100), not the request limit.
RESPONSE_PAYLOAD_LIMIT = 6_291_556
LOG_TAIL_BYTES = 4096
