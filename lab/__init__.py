"""serverless-lab: learn and measure HTTP API -> SQS -> Lambda, offline or on AWS.

`lab.connect()` gives boto3 clients for the chosen target: offline (default, a local
`lab serve` endpoint started for this process) or aws (opt-in, your own test account).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("serverless-lab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from lab.targets import Target, connect  # noqa: E402

__all__ = ["Target", "connect", "__version__"]
