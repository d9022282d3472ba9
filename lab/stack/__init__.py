"""Building and taking down what the lab deploys, the same way on either target.

- `builder`: `Stack`, step-by-step create-or-get builders (queues, roles, functions,
  mappings, HTTP APIs), teardown newest first.
- `resources`: names, tags, run ids, and deleting one resource.
- `packaging`: deployment zips built in memory.
- `waits`: `poll_until`, the one way the lab waits for a state, and the waits built on it.
- `http_api`: an HTTP API's invoke URL and a JSON POST to it.
- `policies`, `retry`: least-privilege IAM documents; retries on IAM propagation and
  throttling (what AWS needs and moto never checks).
- `coldstart`: forcing a cold start by updating a function's configuration, and warm-ups.
"""

from lab.stack.builder import DEFAULT_RUNTIME, Created, Function, Queue, Stack
from lab.stack.http_api import invoke_url, post_json
from lab.stack.packaging import zip_files, zip_function
from lab.stack.resources import (
    PROJECT_TAG,
    PROJECT_TAG_KEY,
    ROLE_PATH,
    RUN_TAG,
    TeardownError,
    delete_resource,
    new_run_id,
)
from lab.stack.waits import poll_until, wait_for_mapping

__all__ = ["DEFAULT_RUNTIME", "PROJECT_TAG", "PROJECT_TAG_KEY", "ROLE_PATH", "RUN_TAG",
           "Created", "Function", "Queue", "Stack", "TeardownError", "delete_resource",
           "invoke_url", "new_run_id", "poll_until", "post_json", "wait_for_mapping",
           "zip_files", "zip_function"]
