"""serverless-lab: learn and measure HTTP API -> SQS -> Lambda, offline or on AWS.

`lab.connect()` gives boto3 clients for the chosen target: offline (default, a local
`lab serve` endpoint started for this process) or aws (opt-in, your own test account).
"""

import os
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("serverless-lab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from lab.targets import Target, connect  # noqa: E402

if os.environ.get("LAB_CHART_CHECK"):  # the notebook test: check every chart as it renders
    from lab.results.chartcheck import install as _install_chart_check

    _install_chart_check(os.environ["LAB_CHART_CHECK"])

__all__ = ["Target", "connect", "__version__"]
