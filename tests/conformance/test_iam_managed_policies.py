"""AWS managed policies exist in every account, as on AWS, while the lab builds them only
when an account's IAM first uses them (lab/offline/iam_policies.py: resets stay fast).

AWS terms: an AWS managed policy's ARN is `arn:aws:iam::aws:policy/<path><name>`;
GetPolicy answers it with `AttachmentCount`; AttachRolePolicy counts an attachment in
this account only; ListPolicies `Scope=AWS` lists them; a reset account starts at 0.
"""

from __future__ import annotations

from lab.offline import iam_policies
from tests.fixtures.common import trust

SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def test_the_lab_s_change_to_moto_matches_the_verified_moto_source():
    assert iam_policies.GUARD.changed() == []


def test_aws_managed_policies_exist_and_count_attachments_per_reset_account(clean_cloud):
    iam = clean_cloud.client("iam")
    policy = iam.get_policy(PolicyArn=SQS_EXECUTION)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaSQSQueueExecutionRole"
    assert policy["Path"] == "/service-role/" and policy["AttachmentCount"] == 0
    version = iam.get_policy_version(PolicyArn=SQS_EXECUTION,
                                     VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert "sqs:ReceiveMessage" in str(version["Document"])

    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))
    iam.attach_role_policy(RoleName="fn", PolicyArn=SQS_EXECUTION)
    assert iam.get_policy(PolicyArn=SQS_EXECUTION)["Policy"]["AttachmentCount"] == 1
    listed = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [p["Arn"] for p in listed] == [SQS_EXECUTION]

    clean_cloud.reset()
    assert iam.get_policy(PolicyArn=SQS_EXECUTION)["Policy"]["AttachmentCount"] == 0, \
        "a reset account starts with no attachment"
    assert len(iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]) == 1000


def test_managed_policies_are_built_only_when_used():
    policies = iam_policies.LazyManagedPolicies("123456789012", "us-east-1")
    assert not policies.built
    assert SQS_EXECUTION in policies and policies.built
    again = iam_policies.LazyManagedPolicies("123456789012", "us-east-1")
    assert again[SQS_EXECUTION] is not policies[SQS_EXECUTION], "each backend its own objects"
    assert len(again) == len(policies) > 1000
