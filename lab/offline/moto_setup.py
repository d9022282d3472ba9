"""Configure moto the way the lab needs it, before any backend is used.

Must run before the first request: Lambda's `use_docker` switch selects a separate
function store, and IAM managed policies load only when the backend is created.
"""

import logging
import os


def configure_moto() -> None:
    """Set moto up for the lab (its version: moto_version())."""
    # IAM managed policies (e.g. service-role/AWSLambdaSQSQueueExecutionRole) exist only
    # with this variable; it is read when the IAM backend is first created.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from lab.offline import iam_policies

    iam_policies.install()  # ...built only in the IAM backend that uses them (resets are fast)
    from moto.core.config import default_user_config

    # No Docker here: the lab runs handlers itself (lab.offline Lambda extension).
    default_user_config["lambda"]["use_docker"] = False
    # Werkzeug logs every request even when moto is told to be quiet.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def moto_version() -> str:
    import moto

    return moto.__version__
