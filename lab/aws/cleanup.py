"""Find and delete what lab runs left behind in an account: by tag (Resource Groups Tagging
API, in the target's region) and by role path (IAM, which is global).

A Lambda event source mapping is not deleted with its function (DeleteFunction API
reference), so mappings are also found through the leftover queues and functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from lab.stack import PROJECT_TAG, PROJECT_TAG_KEY, ROLE_PATH, RUN_TAG, delete_resource
from lab.stack.policies import role_name_from_arn
from lab.stack.retry import Backoff, RetryingClient
from lab.stack.waits import wait_for_mapping_deleted

# Deleting in this order never hits a dependency (mapping before function, function before
# its role and log group, API before its role, queues last).
ORDER = ("lambda-esm", "http-api", "lambda-function", "log-group", "iam-role", "sqs-queue")


@dataclass(frozen=True)
class Leftover:
    kind: str
    ident: str  # queue name, function name, mapping UUID, API id, log group, role name
    arn: str
    run_id: str | None = None

    def __str__(self) -> str:
        run = f" (run {self.run_id})" if self.run_id else ""
        return f"{self.kind:16} {self.ident}{run}"


def classify(arn: str) -> tuple[str, str] | None:
    """(kind, ident) for the ARNs the lab creates; None for anything else."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    service, rest = parts[2], parts[5]
    if service == "sqs":
        return "sqs-queue", rest
    if service == "lambda" and rest.startswith("function:"):
        return "lambda-function", rest.split(":")[1]
    if service == "lambda" and rest.startswith("event-source-mapping:"):
        return "lambda-esm", rest.split(":")[1]
    if service == "apigateway" and rest.startswith("/apis/") and rest.count("/") == 2:
        return "http-api", rest.split("/")[2]
    if service == "logs" and rest.startswith("log-group:"):
        return "log-group", rest[len("log-group:"):].removesuffix(":*")
    if service == "iam" and rest.startswith("role/"):
        return "iam-role", role_name_from_arn(arn)
    return None


def _tag_filters(run_id: str | None) -> list[dict]:
    filters = [{"Key": PROJECT_TAG_KEY, "Values": [PROJECT_TAG]}]
    if run_id:
        filters.append({"Key": RUN_TAG, "Values": [run_id]})
    return filters


def find_leftovers(target, run_id: str | None = None, *,
                   backoff: Backoff | None = None) -> list[Leftover]:
    """Everything tagged lab:project=serverless-lab (and lab:run-id=`run_id` if given) in the
    target's region, every role under /serverless-lab/, and mappings of leftover queues and
    functions; in deletion order."""
    backoff = backoff or Backoff()
    tagging = RetryingClient(target.client("resourcegroupstaggingapi"), backoff)
    iam = RetryingClient(target.client("iam"), backoff)
    lam = RetryingClient(target.client("lambda"), backoff)
    found: dict[tuple[str, str], Leftover] = {}
    kwargs: dict = {"TagFilters": _tag_filters(run_id)}
    while True:
        page = tagging.get_resources(**kwargs)
        for item in page.get("ResourceTagMappingList", []):
            kind_ident = classify(item["ResourceARN"])
            if kind_ident is None:
                continue
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            found[kind_ident] = Leftover(*kind_ident, item["ResourceARN"], tags.get(RUN_TAG))
        token = page.get("PaginationToken")
        if not token:
            break
        kwargs["PaginationToken"] = token
    marker = None
    while True:
        page = iam.list_roles(PathPrefix=ROLE_PATH, **({"Marker": marker} if marker else {}))
        for role in page.get("Roles", []):
            tags = {t["Key"]: t["Value"] for t in
                    iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", [])}
            if run_id and tags.get(RUN_TAG) != run_id:
                continue
            found[("iam-role", role["RoleName"])] = Leftover(
                "iam-role", role["RoleName"], role["Arn"], tags.get(RUN_TAG))
        if not page.get("IsTruncated"):
            break
        marker = page["Marker"]
    for item in list(found.values()):
        if item.kind == "sqs-queue":
            query = {"EventSourceArn": item.arn}
        elif item.kind == "lambda-function":
            query = {"FunctionName": item.ident}
        else:
            continue
        for esm in lam.list_event_source_mappings(**query).get("EventSourceMappings", []):
            key = ("lambda-esm", esm["UUID"])
            if key not in found:
                found[key] = Leftover("lambda-esm", esm["UUID"], esm.get("EventSourceMappingArn", ""),
                                      item.run_id)
    return sorted(found.values(), key=lambda lo: (ORDER.index(lo.kind), lo.ident))


def delete_leftover(target, item: Leftover, backoff: Backoff | None = None) -> bool:
    """Delete one leftover (lab.stack.delete_resource); False if it was already gone."""
    backoff = backoff or Backoff()

    def client_for(service):
        return RetryingClient(target.client(service), backoff)

    owner = item.arn.split(":")[4] if item.kind == "sqs-queue" else None
    return delete_resource(client_for, item.kind, item.ident, queue_owner=owner)


def delete_leftovers(target, leftovers: list[Leftover],
                     backoff: Backoff | None = None) -> tuple[list[Leftover], list[tuple[Leftover, Exception]]]:
    """Delete in dependency order; returns (deleted, failed). Already gone counts as deleted."""
    deleted, failed = [], []
    for item in sorted(leftovers, key=lambda lo: ORDER.index(lo.kind)):
        try:
            delete_leftover(target, item, backoff)
            if item.kind == "lambda-esm":  # deletion is asynchronous: until it ends the
                # mapping may invoke the function, whose logs would re-create its log group
                wait_for_mapping_deleted(RetryingClient(target.client("lambda"),
                                                        backoff or Backoff()), item.ident)
            deleted.append(item)
        except ClientError as exc:
            failed.append((item, exc))
    return deleted, failed
