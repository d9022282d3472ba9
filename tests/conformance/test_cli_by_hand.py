"""Notebook 06's appendix "By hand from a terminal" runs as written: its bash blocks, with the
AWS CLI v1 of .venv, against a real `lab serve`, build the pipeline, carry a photo through it,
read its log line and clean up."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "06_http_api_sqs_lambda.ipynb"
TAIL_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 \S+ ", re.M)


def appendix_script(endpoint_url: str) -> str:
    """The appendix's ```bash blocks in order, for a test: the endpoint is the session's
    `lab serve` (not one started with `&`, not stopped with `kill %1`)."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["id"].startswith("by-hand-"))
    blocks = re.findall(r"^```bash\n(.*?)^```$", text, flags=re.S | re.M)
    assert len(blocks) >= 6, "the appendix lost its command blocks"
    script = "\n".join(blocks)
    assert re.search(r"^\.venv/bin/lab serve &", script, re.M)
    script = re.sub(r"^\.venv/bin/lab serve &.*$", "", script, flags=re.M)
    script = re.sub(r"^kill %1.*$", "", script, flags=re.M)
    script, n = re.subn(r"^E=http://127\.0\.0\.1:4566$", f"E={endpoint_url}", script, flags=re.M)
    assert n == 1
    return "set -euo pipefail\n" + script


@pytest.mark.timeout(900)
def test_the_by_hand_appendix_runs_with_the_cli_v1(clean_cloud, tmp_path):
    assert (ROOT / ".venv" / "bin" / "aws").exists()
    version = subprocess.run([ROOT / ".venv" / "bin" / "aws", "--version"], capture_output=True,
                             text=True, timeout=60)
    assert (version.stdout + version.stderr).startswith("aws-cli/1."), "the appendix is for v1"
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")  # the commands run from the repository
    (tmp_path / "lab").symlink_to(ROOT / "lab")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "LAB_ENDPOINT_URL"}
    done = subprocess.run(["bash", "-c", appendix_script(clean_cloud.endpoint_url)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=840)
    out = done.stdout
    assert done.returncode == 0, f"{out[-3000:]}\n{done.stderr[-3000:]}"
    assert '"MessageBody": "$request.body"' in out
    assert re.search(r"^processed\tthumbnails/by-hand-1-[0-9a-f]{12}\.jpg$", out, re.M), out
    assert '"photo_id":"by-hand-1"' in out and "LAB_RECORD" in out  # filter-log-events
    assert TAIL_LINE.search(out), "lab logs printed aws logs tail's format"
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.zip"))
    sqs, lam = clean_cloud.client("sqs"), clean_cloud.client("lambda")
    assert not sqs.list_queues(QueueNamePrefix="byhand").get("QueueUrls")
    assert not [f for f in lam.list_functions()["Functions"]
                if f["FunctionName"].startswith("byhand")]
    assert not clean_cloud.client("apigatewayv2").get_apis()["Items"]
    assert not clean_cloud.client("dynamodb").list_tables()["TableNames"]


def test_double_quotes_turn_request_body_into_a_literal():
    # the appendix's warning: in double quotes the shell expands $request (unset) to nothing
    wrong = subprocess.run(
        ["bash", "-c", 'QUEUE_URL=q; echo "{\\"QueueUrl\\": \\"$QUEUE_URL\\", '
                       '\\"MessageBody\\": \\"$request.body\\"}"'],
        capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]})
    assert json.loads(wrong.stdout) == {"QueueUrl": "q", "MessageBody": ".body"}
    right = subprocess.run(
        ["bash", "-c", """QUEUE_URL=q; echo '{"QueueUrl": "'"$QUEUE_URL"'", """
                       """"MessageBody": "$request.body"}'"""],
        capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]})
    assert json.loads(right.stdout) == {"QueueUrl": "q", "MessageBody": "$request.body"}
