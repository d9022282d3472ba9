"""Step-by-step builders shared by the notebooks: queues, roles, functions, mappings, HTTP
APIs. Create-or-get (re-running a cell is safe), every resource tagged with the stack's run
id, and `teardown()` deletes what this stack created, newest first.

The notebooks show each boto3 call in full the first time; afterwards they use these.

On the `aws` target the same builders also do what real AWS needs and moto never checks
(`lab.stack.policies`, `lab.stack.retry`): least-privilege inline policies scoped to the resources created, retries while
a new role is not yet assumable (IAM propagation) and on throttling, waiters (function
Active/Updated, mapping Enabled, stage deployed), a reused queue name within 60 s of its
deletion, log groups created with a short retention and tagged, and teardown at exit.
"""

from __future__ import annotations

import atexit
import json
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from lab.stack import policies
from lab.stack.packaging import zip_function
from lab.stack.resources import (
    LOG_RETENTION_DAYS,
    MAX_MESSAGE_SIZE,
    PROJECT_TAG,
    PROJECT_TAG_KEY,
    ROLE_PATH,
    RUN_TAG,
    TeardownError,
    delete_resource,
    new_run_id,
    tags_list,
)
from lab.stack.retry import (
    IAM_PROPAGATION,
    QUEUE_DELETED_RECENTLY,
    QUEUE_NAME_REUSE_WAIT_S,
    Backoff,
    RetryingClient,
    error_code,
    is_iam_propagation,
)
from lab.stack.waits import poll_until, wait_for_mapping, wait_for_mapping_deleted

DEFAULT_RUNTIME = "python3.12"


@dataclass
class Queue:
    name: str
    url: str
    arn: str


@dataclass
class Function:
    name: str
    arn: str
    role_arn: str
    timeout: int
    memory_size: int


@dataclass
class Created:
    kind: str
    ident: str
    extra: dict = field(default_factory=dict)


class Stack:
    """What one notebook (or experiment) builds on a target, and how to take it down."""

    def __init__(self, target, name: str, run_id: str | None = None, *,
                 backoff: Backoff | None = None, wait_timeout: float | None = None):
        self.target = target
        self.name = name
        self.run_id = run_id or new_run_id()
        self.tags = {RUN_TAG: self.run_id, PROJECT_TAG_KEY: PROJECT_TAG}
        self.created: list[Created] = []
        self._clients: dict[str, object] = {}
        self.backoff = backoff or Backoff()
        self.on_aws = not getattr(target, "is_offline", True)
        # Seconds to wait for a mapping/stage; AWS takes tens of seconds, offline is instant.
        self.wait_timeout = wait_timeout or (300.0 if self.on_aws else 30.0)
        self.poll_every = 2.0 if self.on_aws else 0.2
        # The Lambda waiters' poll interval (function_active_v2 / function_updated_v2): a
        # function is Pending / InProgress for seconds on AWS, a fraction of one offline.
        self.waiter_delay = 2 if self.on_aws else 0.1
        self._atexit_registered = False

    # -- helpers ------------------------------------------------------------------------
    def client(self, service: str):
        """The target's client for `service`, retrying throttled calls (bounded backoff)."""
        if service not in self._clients:
            self._clients[service] = RetryingClient(self.target.client(service), self.backoff)
        return self._clients[service]

    def _retry_until_assumable(self, fn, **kwargs):
        """Retry while Lambda cannot assume the new role yet (IAM propagation), bounded."""
        propagation = Backoff(sleep=self.backoff.sleep, **IAM_PROPAGATION)
        return propagation.call(fn, retry_if=is_iam_propagation, **kwargs)

    def _arn_parts(self) -> tuple[str, str, str]:
        """(partition, region, account id) for the ARNs this stack's policies name."""
        return ("aws", self.target.region, self.target.account_id)

    def _own_role(self, role_arn: str) -> Created | None:
        return next((c for c in self.created if c.kind == "iam-role"
                     and c.extra.get("arn") == role_arn), None)

    def grant(self, role_arn: str, policy_name: str, policy: dict) -> bool:
        """Put a scoped inline policy on a role this stack created (others are left alone)."""
        own = self._own_role(role_arn)
        if own is None:
            return False
        policies.check_least_privilege(policy)
        self.client("iam").put_role_policy(RoleName=own.ident, PolicyName=policy_name,
                                           PolicyDocument=json.dumps(policy))
        if policy_name not in own.extra.setdefault("policies", []):
            own.extra["policies"].append(policy_name)
        return True

    def resource_name(self, base: str) -> str:
        """Names carry the stack name (and the run id on AWS, where names must not clash)."""
        if self.on_aws:
            return f"{self.name}-{self.run_id}-{base}"
        return f"{self.name}-{base}"

    def _record(self, kind: str, ident: str, **extra) -> None:
        if not any(c.kind == kind and c.ident == ident for c in self.created):
            self.created.append(Created(kind, ident, extra))
        if self.on_aws and not self._atexit_registered:  # a crashed kernel still cleans up
            atexit.register(self._teardown_at_exit)
            self._atexit_registered = True

    def _teardown_at_exit(self) -> None:
        if self.created:
            print(f"lab: tearing down {len(self.created)} resource(s) of run {self.run_id}")
            self.teardown()

    # -- SQS ----------------------------------------------------------------------------
    def queue(self, base: str, *, fifo: bool = False, visibility_timeout: int = 30,
              max_message_size: int = MAX_MESSAGE_SIZE, content_based_deduplication: bool = False,
              dead_letter: Queue | None = None, max_receive_count: int = 3,
              receive_wait_seconds: int = 0, attributes: dict[str, str] | None = None) -> Queue:
        """Create (or get) a queue; with `dead_letter`, set its RedrivePolicy."""
        sqs = self.client("sqs")
        name = self.resource_name(base) + (".fifo" if fifo else "")
        attrs = {
            "VisibilityTimeout": str(visibility_timeout),
            "MaximumMessageSize": str(max_message_size),
            "ReceiveMessageWaitTimeSeconds": str(receive_wait_seconds),
        }
        if fifo:
            attrs["FifoQueue"] = "true"
            attrs["ContentBasedDeduplication"] = str(content_based_deduplication).lower()
        if dead_letter is not None:
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_letter.arn,
                                                 "maxReceiveCount": str(max_receive_count)})
        attrs.update(attributes or {})
        reuse = Backoff(base=QUEUE_NAME_REUSE_WAIT_S, cap=QUEUE_NAME_REUSE_WAIT_S,
                        max_attempts=2, sleep=self.backoff.sleep)
        try:  # a name deleted < 60 s ago: wait once, then try again
            url = reuse.call(sqs.create_queue, QueueName=name, Attributes=attrs, tags=self.tags,
                             retry_if=lambda e: error_code(e) in QUEUE_DELETED_RECENTLY
                             )["QueueUrl"]
        except ClientError as exc:  # exists with other attributes: get it, then set them
            if error_code(exc) not in ("QueueAlreadyExists", "QueueNameExists"):
                raise
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            settable = {k: v for k, v in attrs.items() if k != "FifoQueue"}
            sqs.set_queue_attributes(QueueUrl=url, Attributes=settable)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self._record("sqs-queue", url)
        return Queue(name, url, arn)

    # -- IAM ----------------------------------------------------------------------------
    def role(self, base: str, service: str, policy: dict | None = None,
             managed_policy_arns: tuple[str, ...] = ()) -> str:
        """Create (or get) a role that `service` (e.g. lambda.amazonaws.com) may assume.

        Pass no `policy`: `function()`, `event_source_mapping()` and `http_api_to_sqs()` add
        what each needs, scoped to their own resources. On AWS a `policy` with wildcard
        actions or resources, or any managed policy, is refused (least privilege).
        """
        iam = self.client("iam")
        name = self.resource_name(base)
        if self.on_aws:
            if policy is not None:
                policies.check_least_privilege(policy)
            if managed_policy_arns:
                raise policies.LeastPrivilegeError(
                    "managed policies grant more than the lab's resources; use the scoped "
                    "inline policies the builders add")
        trust = policies.trust_policy(service)
        try:
            arn = iam.create_role(RoleName=name, Path=ROLE_PATH,
                                  AssumeRolePolicyDocument=json.dumps(trust),
                                  Tags=tags_list(self.tags))["Role"]["Arn"]
        except ClientError as exc:
            if error_code(exc) != "EntityAlreadyExists":
                raise
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        if policy is not None:
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy",
                                PolicyDocument=json.dumps(policy))
        for policy_arn in managed_policy_arns:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        self._record("iam-role", name, policies=[f"{name}-policy"] if policy else [],
                     managed=list(managed_policy_arns), arn=arn)
        return arn

    # -- Lambda -------------------------------------------------------------------------
    def function(self, base: str, module: str | Path, *, role_arn: str, handler: str | None = None,
                 timeout: int = 3, memory_size: int = 128, environment: dict | None = None,
                 runtime: str = DEFAULT_RUNTIME, reserved_concurrency: int | None = None) -> Function:
        """Create (or update) a function from a module in lab/functions (or a .py path)."""
        lam = self.client("lambda")
        name = self.resource_name(base)
        stem = Path(str(module)).stem
        code = zip_function(module)
        config = dict(Runtime=runtime, Role=role_arn, Handler=handler or f"{stem}.handler",
                      Timeout=timeout, MemorySize=memory_size,
                      Environment={"Variables": dict(environment or {})})
        # Its own log group, short retention, tagged, so teardown removes the logs too
        # (offline as on AWS); on AWS also the right to write it.
        self.log_group(f"/aws/lambda/{name}")
        if self.on_aws:
            partition, region, account = self._arn_parts()
            self.grant(role_arn, f"logs-{name}",
                       policies.function_log_policy(region, account, name, partition))
        try:
            arn = self._retry_until_assumable(
                lam.create_function, FunctionName=name, Code={"ZipFile": code},
                Tags=self.tags, **config)["FunctionArn"]
        except ClientError as exc:
            if error_code(exc) != "ResourceConflictException":
                raise
            lam.update_function_code(FunctionName=name, ZipFile=code)
            self._wait_updated(name)
            arn = lam.update_function_configuration(FunctionName=name, **config)["FunctionArn"]
            self._wait_updated(name)
        self._wait_active(name)
        if reserved_concurrency is not None:
            lam.put_function_concurrency(FunctionName=name,
                                         ReservedConcurrentExecutions=reserved_concurrency)
        self._record("lambda-function", name)
        return Function(name, arn, role_arn, timeout, memory_size)

    def _wait_active(self, name: str) -> None:
        self.client("lambda").get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig=self._waiter_config())

    def _waiter_config(self) -> dict:
        """Delay and attempts for about two minutes (AWS: seconds; offline: state_delay_s)."""
        return {"Delay": self.waiter_delay, "MaxAttempts": int(120 / self.waiter_delay)}

    def _wait_updated(self, name: str) -> None:
        self.client("lambda").get_waiter("function_updated_v2").wait(
            FunctionName=name, WaiterConfig=self._waiter_config())

    # -- CloudWatch Logs ----------------------------------------------------------------
    def log_group(self, name: str, retention_days: int = LOG_RETENTION_DAYS) -> str:
        """Create (or get) a tagged log group with a short retention (Lambda would otherwise
        create it untagged, keeping logs forever)."""
        logs = self.client("logs")
        try:
            logs.create_log_group(logGroupName=name, tags=self.tags)
        except ClientError as exc:
            if error_code(exc) != "ResourceAlreadyExistsException":
                raise
        self._record("log-group", name)
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
        return name

    def event_source_mapping(self, function: Function, queue: Queue, *, batch_size: int = 10,
                             batching_window: int = 0, report_batch_item_failures: bool = False,
                             maximum_concurrency: int | None = None) -> str:
        """Create (or get) the SQS -> function mapping; returns its UUID once Enabled."""
        lam = self.client("lambda")
        existing = lam.list_event_source_mappings(FunctionName=function.name,
                                                  EventSourceArn=queue.arn)
        params: dict = dict(BatchSize=batch_size,
                            FunctionResponseTypes=["ReportBatchItemFailures"]
                            if report_batch_item_failures else [])
        if not queue.name.endswith(".fifo"):
            params["MaximumBatchingWindowInSeconds"] = batching_window
        if maximum_concurrency is not None:
            params["ScalingConfig"] = {"MaximumConcurrency": maximum_concurrency}
        # The poller uses the function's role: receive/delete/get-attributes on this queue.
        self.grant(function.role_arn, f"consume-{queue.name.replace('.', '-')}",
                   policies.sqs_consume_policy(queue.arn))
        if existing["EventSourceMappings"]:
            uuid_ = existing["EventSourceMappings"][0]["UUID"]
            lam.update_event_source_mapping(UUID=uuid_, Enabled=True, **params)
        else:
            if self.on_aws:
                params["Tags"] = self.tags
            uuid_ = self._retry_until_assumable(
                lam.create_event_source_mapping, FunctionName=function.name,
                EventSourceArn=queue.arn, Enabled=True, **params)["UUID"]
        self._record("lambda-esm", uuid_)
        wait_for_mapping(lam, uuid_, "Enabled", timeout=self.wait_timeout,
                         poll_every=self.poll_every, sleep=self.backoff.sleep)
        return uuid_

    # -- API Gateway HTTP API -----------------------------------------------------------
    def _http_api(self, base: str) -> str:
        apigw = self.client("apigatewayv2")
        name = self.resource_name(base)
        for api in apigw.get_apis().get("Items", []):
            if api["Name"] == name:
                return api["ApiId"]
        api_id = apigw.create_api(Name=name, ProtocolType="HTTP", Tags=self.tags)["ApiId"]
        self._record("http-api", api_id)
        return api_id

    def _route(self, api_id: str, route_key: str, integration_id: str) -> None:
        apigw = self.client("apigatewayv2")
        routes = apigw.get_routes(ApiId=api_id).get("Items", [])
        target = f"integrations/{integration_id}"
        for route in routes:
            if route["RouteKey"] == route_key:
                apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], Target=target)
                return
        apigw.create_route(ApiId=api_id, RouteKey=route_key, Target=target)

    def _default_stage(self, api_id: str) -> None:
        apigw = self.client("apigatewayv2")
        stages = {s["StageName"] for s in apigw.get_stages(ApiId=api_id).get("Items", [])}
        if "$default" not in stages:
            apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True,
                               Tags=self.tags)
        if self.on_aws:
            self._wait_deployed(api_id, "$default")

    def _wait_deployed(self, api_id: str, stage: str) -> dict:
        """An auto-deploy stage serves once it has a DeploymentId (AWS deploys it async)."""
        apigw = self.client("apigatewayv2")

        def deployed() -> dict | None:
            info = apigw.get_stage(ApiId=api_id, StageName=stage)
            status = info.get("LastDeploymentStatusMessage", "")
            if "fail" in status.lower():
                raise RuntimeError(f"stage {stage} of API {api_id} failed to deploy: {status}")
            return info if info.get("DeploymentId") else None

        return poll_until(deployed, timeout=self.wait_timeout, poll_every=self.poll_every,
                          sleep=self.backoff.sleep,
                          what=lambda: f"stage {stage} of API {api_id} not deployed")

    def http_api_to_sqs(self, base: str, queue: Queue, *, role_arn: str,
                        route_key: str = "POST /messages",
                        request_parameters: dict[str, str] | None = None) -> str:
        """An HTTP API whose route sends the request body to `queue` (SQS-SendMessage)."""
        apigw = self.client("apigatewayv2")
        self.grant(role_arn, f"send-{queue.name.replace('.', '-')}",
                   policies.sqs_send_policy(queue.arn))
        api_id = self._http_api(base)
        params = {"QueueUrl": queue.url, "MessageBody": "$request.body"}
        params.update(request_parameters or {})
        integrations = apigw.get_integrations(ApiId=api_id).get("Items", [])
        match = [i for i in integrations if i.get("IntegrationSubtype") == "SQS-SendMessage"]
        if match:
            integration_id = match[0]["IntegrationId"]
            apigw.update_integration(ApiId=api_id, IntegrationId=integration_id,
                                     CredentialsArn=role_arn, RequestParameters=params)
        else:
            integration_id = apigw.create_integration(
                ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationSubtype="SQS-SendMessage",
                PayloadFormatVersion="1.0", CredentialsArn=role_arn,
                RequestParameters=params)["IntegrationId"]
        self._route(api_id, route_key, integration_id)
        self._default_stage(api_id)
        return api_id

    def http_api_to_lambda(self, base: str, function: Function, *,
                           route_keys: tuple[str, ...] = ("ANY /{proxy+}",),
                           payload_format_version: str = "2.0") -> str:
        """An HTTP API whose routes invoke `function` (Lambda proxy integration)."""
        apigw = self.client("apigatewayv2")
        api_id = self._http_api(base)
        integrations = apigw.get_integrations(ApiId=api_id).get("Items", [])
        match = [i for i in integrations if i.get("IntegrationUri") == function.arn]
        if match:
            integration_id = match[0]["IntegrationId"]
        else:
            integration_id = apigw.create_integration(
                ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function.arn,
                PayloadFormatVersion=payload_format_version)["IntegrationId"]
        for route_key in route_keys:
            self._route(api_id, route_key, integration_id)
        self._default_stage(api_id)
        lam = self.client("lambda")
        statement = f"{self.resource_name(base)}-invoke"
        permission = dict(FunctionName=function.name, StatementId=statement,
                          Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
        if self.on_aws:  # only this API may invoke it
            partition, region, account = self._arn_parts()
            permission["SourceArn"] = f"arn:{partition}:execute-api:{region}:{account}:{api_id}/*"
        try:  # API Gateway needs permission to invoke the function (resource-based policy)
            lam.add_permission(**permission)
        except ClientError as exc:
            if error_code(exc) != "ResourceConflictException":
                raise
        return api_id

    # -- teardown -----------------------------------------------------------------------
    def teardown(self) -> list[str]:
        """Delete what this stack created, newest first; returns what it deleted.

        One failure does not stop the rest: everything deletable is deleted, then a
        `TeardownError` names what is left (`lab aws cleanup` finds it by tag later).
        """
        deleted, failures = [], []
        for item in reversed(self.created):
            what = f"{item.kind} {item.ident}"
            try:
                if self._delete(item):
                    deleted.append(what)
            except Exception as exc:  # noqa: BLE001 - keep deleting the rest, report at the end
                failures.append((what, exc))
        self.created = [c for c in self.created
                        if f"{c.kind} {c.ident}" in {w for w, _ in failures}]
        if self._atexit_registered and not self.created:
            atexit.unregister(self._teardown_at_exit)
            self._atexit_registered = False
        if failures:
            raise TeardownError(failures)
        return deleted

    def _delete(self, item: Created) -> bool:
        deleted = delete_resource(self.client, item.kind, item.ident,
                                  policies=item.extra.get("policies", []),
                                  managed=item.extra.get("managed", []))
        if deleted and item.kind == "lambda-esm" and self.on_aws:
            # AWS deletes a mapping asynchronously; deleting its function and log group
            # while it still invokes would leave an untagged log group behind.
            wait_for_mapping_deleted(self.client("lambda"), item.ident,
                                     timeout=self.wait_timeout,
                                     poll_every=min(self.poll_every, 1.0),
                                     sleep=self.backoff.sleep)
        return deleted

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.teardown()  # in `finally`: a failure midway still deletes what was created
