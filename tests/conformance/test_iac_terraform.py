"""The pattern in Terraform (hashicorp/aws 5.x) against `lab serve`: apply, a second plan
with no changes, a POST end to end, destroy. Runs when `terraform` is on PATH and the aws
provider is in a local filesystem mirror (no registry download); skipped otherwise, with
the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lab.stack import zip_files
from tests.fixtures.iac import TERRAFORM_DIR, post_and_wait_processed

# Where a provider mirror may be (`provider_installation { filesystem_mirror { path } }`).
MIRRORS = [os.environ.get("LAB_TF_PROVIDER_MIRROR", ""), "/opt/tf-plugins",
           str(Path.home() / ".terraform.d" / "plugins"), "/usr/share/terraform/plugins",
           str(Path.home() / ".local" / "share" / "terraform" / "plugins")]

HANDLER = """
import json
def handler(event, context):
    for record in event["Records"]:
        print(json.dumps({"order": json.loads(record["body"])}))
    return {"batchItemFailures": []}
"""


def _mirror() -> str | None:
    for path in filter(None, MIRRORS):
        if (Path(path) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return path
    return None


# Each terraform command starts the aws provider (a large binary) a few times, and the
# provider waits out AWS's eventual consistency (on an idle 2-core machine apply takes ~65 s
# and destroy ~20 s, mostly waiting): minutes on a busy machine.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def terraform(tmp_path, clean_cloud):
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not on PATH")
    mirror = _mirror()
    if mirror is None:
        pytest.skip(f"no hashicorp/aws provider in a local mirror ({', '.join(filter(None, MIRRORS))});"
                    " set LAB_TF_PROVIDER_MIRROR")
    shutil.copy(TERRAFORM_DIR / "main.tf", tmp_path / "main.tf")
    (tmp_path / "handler.zip").write_bytes(zip_files({"index.py": HANDLER}))
    rc = tmp_path / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n'
                  "  }\n}\n")
    # GOGC: each command starts the provider ~3 times and each start builds the schemas of
    # ~1,500 resource types, mostly garbage-collector work at Go's default (GOGC=100): 400
    # cuts the CPU of a plan from ~13 s to ~8 s on 2 cores for ~450 MB peak per provider.
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1",
               TF_VAR_endpoint=clean_cloud.endpoint_url, GOGC=os.environ.get("GOGC", "400"),
               TF_VAR_function_zip=str(tmp_path / "handler.zip"), CHECKPOINT_DISABLE="1")

    destroyed = []

    def run(command: str, *args: str, ok=(0,)) -> subprocess.CompletedProcess:
        flags = ["-no-color"] + ([] if command == "output" else ["-input=false"])
        done = subprocess.run(["terraform", command, *flags, *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode in ok, f"terraform {command}: {done.stdout[-4000:]}\n" \
                                      f"{done.stderr[-4000:]}"
        destroyed[:] = [command == "destroy"]
        return done

    run("init")
    yield run
    if destroyed != [True]:  # the test failed before its own destroy (each run: ~20 s)
        run("destroy", "-auto-approve")


def test_terraform_applies_plans_clean_carries_a_post_and_destroys(terraform, clean_cloud):
    terraform("apply", "-auto-approve")
    plan = terraform("plan", "-detailed-exitcode", ok=(0, 2))
    assert plan.returncode == 0, f"second plan is not clean:\n{plan.stdout[-4000:]}"
    out = {name: value["value"] for name, value in
           json.loads(terraform("output", "-json").stdout).items()}
    lam = clean_cloud.client("lambda")
    mapping = lam.get_event_source_mapping(UUID=out["mapping_uuid"])
    assert lam.list_tags(Resource=mapping["EventSourceMappingArn"])["Tags"] == \
        {"pattern": "http-api-sqs-lambda"}
    post_and_wait_processed(clean_cloud, out["api_endpoint"] + "/orders",
                            out["mapping_uuid"], {"order": 42})
    terraform("destroy", "-auto-approve")
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert clean_cloud.client("apigatewayv2").get_apis()["Items"] == []
    assert clean_cloud.client("sqs").list_queues().get("QueueUrls", []) == []
