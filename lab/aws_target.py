"""The `aws` target: your own test account, opt-in only.

Not built yet (see the issue "Reproduce in your own AWS test account"); until then it
refuses clearly instead of half-working.
"""


class AwsTargetNotReady(NotImplementedError):
    pass


def connect_aws(region: str | None = None):
    raise AwsTargetNotReady(
        "LAB_TARGET=aws is not available yet: the aws target (opt-in, cost-estimated, "
        "tagged, torn down by run id) is still being built. Use the offline target."
    )
