"""The functions of the SAM template: the dependency layer, the HTTP API, and per function its
log group, its least-privilege role and its event sources (routes, queues, schedules)."""

from __future__ import annotations

import json
from typing import Any

from infra import definition
from infra.sam import exports
from infra.sam.cfn import POSTGRES_PORT, Template, assume, get_att, ref, statement, sub


def _role(spec: definition.Function) -> dict[str, Any]:
    logical = definition.camel(spec.key)
    statements: list[dict[str, Any]] = [
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [get_att(f"{logical}LogGroup", "Arn")],
        )
    ]
    for queue_key in spec.sends_to:
        # the URL comes from QUEUE_URLS, so sending needs no GetQueueUrl
        statements.append(
            statement(["sqs:SendMessage"], [get_att(f"{definition.camel(queue_key)}Queue", "Arn")])
        )
    consumed = definition.queues_consumed_by(spec.key)
    if consumed:
        statements.append(
            statement(
                [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                ],
                [get_att(f"{definition.camel(q.key)}Queue", "Arn") for q in consumed],
            )
        )
    if spec.dead_letters and consumed:
        statements.append(
            statement(
                ["sqs:SendMessage", "sqs:GetQueueUrl"],
                [get_att(f"{definition.camel(q.key)}DeadLetterQueue", "Arn") for q in consumed],
            )
        )
    if spec.decrypts_tokens:
        statements.append(
            statement(["kms:Decrypt", "kms:GenerateDataKey"], [get_att("TokenKey", "Arn")])
        )
    if spec.reads_app_secret:
        statements.append(statement(["secretsmanager:GetSecretValue"], [ref("AppSecret")]))
    if spec.reads_exports:
        statements.append(statement(list(definition.EXPORT_READ_ACTIONS), [exports.objects()]))
    if spec.writes_exports:
        statements.append(statement(list(definition.EXPORT_WRITE_ACTIONS), [exports.objects()]))
    if spec.writes_admin_key:
        statements.append(
            statement(
                [
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:DescribeSecret",
                ],
                [ref("AdminKeySecret")],
            )
        )
    properties: dict[str, Any] = {
        "Description": f"{spec.name}: only what its definition grants",
        "AssumeRolePolicyDocument": assume("lambda.amazonaws.com"),
        "Policies": [
            {
                "PolicyName": "least-privilege",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }
        ],
        "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess")],
    }
    if spec.touches_database:
        properties["ManagedPolicyArns"].append(
            sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
            )
        )
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _events(spec: definition.Function) -> dict[str, Any]:
    events: dict[str, Any] = {}
    for route in spec.routes:
        name = definition.camel(route.method.lower()) + "".join(
            definition.camel(part.strip("{}+")) for part in route.path.split("/") if part
        )
        events[name or "Root"] = {
            "Type": "HttpApi",
            "Properties": {
                "ApiId": ref("HttpApi"),
                "Method": route.method,
                "Path": route.path,
                "PayloadFormatVersion": "2.0",
            },
        }
    for q in definition.queues_consumed_by(spec.key):
        properties: dict[str, Any] = {
            "Queue": get_att(f"{definition.camel(q.key)}Queue", "Arn"),
            "BatchSize": q.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": q.max_concurrency},
        }
        if q.batching_window_seconds:
            properties["MaximumBatchingWindowInSeconds"] = q.batching_window_seconds
        events[f"{definition.camel(q.key)}Messages"] = {"Type": "SQS", "Properties": properties}
    for s in definition.SCHEDULES:
        if s.target != spec.key:
            continue
        events[f"{definition.camel(s.key)}Schedule"] = {
            "Type": "ScheduleV2",
            "Properties": {
                "Name": f"{definition.PREFIX}-{s.key}",
                "ScheduleExpression": s.expression,
                "ScheduleExpressionTimezone": "UTC",
                "Input": sub(json.dumps(definition.schedule_input(s))),
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
            },
        }
    return events


def resources() -> Template:
    resources: Template = {
        "DependencyLayer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "LayerName": f"{definition.PREFIX}-dependencies",
                "Description": (
                    "pinned runtime dependencies (requirements/runtime.lock) + socialmetrics"
                ),
                "ContentUri": definition.LAYER_BUILD_DIR,
                "CompatibleRuntimes": [definition.RUNTIME],
                "CompatibleArchitectures": [definition.ARCHITECTURE],
                "RetentionPolicy": "Delete",
            },
        },
        "HttpApi": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Description": "socialmetrics API and webhook receivers",
                "CorsConfiguration": {  # browsers may call the API from the dashboard only
                    "AllowOrigins": [sub("https://${DashboardDistribution.DomainName}")],
                    "AllowMethods": ["*"],
                    "AllowHeaders": ["authorization", "content-type", "accept"],
                    "ExposeHeaders": [
                        "x-next-cursor",
                        "link",
                        "x-request-id",
                        "content-disposition",
                    ],
                    "MaxAge": 3600,
                },
                "DefaultRouteSettings": {
                    "ThrottlingBurstLimit": definition.API_THROTTLE_BURST,
                    "ThrottlingRateLimit": definition.API_THROTTLE_RATE_PER_SECOND,
                },
            },
        },
    }
    for spec in definition.FUNCTIONS:
        logical = definition.camel(spec.key)
        variables: dict[str, Any] = dict(definition.environment(spec))
        variables["ENVIRONMENT"] = ref("Environment")
        if spec.sends_to:
            urls = {key: f"${{{definition.camel(key)}Queue}}" for key in spec.sends_to}
            variables["QUEUE_URLS"] = sub(json.dumps(urls, separators=(",", ":")))
        properties: dict[str, Any] = {
            "FunctionName": spec.name,
            "Description": spec.description,
            "CodeUri": definition.CODE_BUILD_DIR,
            "Handler": spec.handler,
            "Runtime": definition.RUNTIME,
            "Architectures": [definition.ARCHITECTURE],
            "MemorySize": spec.memory_mb,
            "Timeout": spec.timeout_seconds,
            "Layers": [ref("DependencyLayer")],
            "Role": get_att(f"{logical}Role", "Arn"),
            "Tracing": "Active",
            "LoggingConfig": {"LogGroup": ref(f"{logical}LogGroup")},
            "Environment": {"Variables": variables},
        }
        if spec.reads_exports or spec.writes_exports:
            variables["EXPORT_BUCKET"] = ref(definition.EXPORT_BUCKET_ID)
        if spec.touches_database:
            variables["DATABASE_URL"] = sub(
                f"postgresql://{definition.DATABASE_USER}:"
                "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"
                f"@${{DatabaseProxy.Endpoint}}:{POSTGRES_PORT}/{definition.DATABASE_NAME}"
            )
            properties["VpcConfig"] = {
                "SubnetIds": [ref("AppSubnet1"), ref("AppSubnet2")],
                "SecurityGroupIds": [ref("FunctionSecurityGroup")],
            }
        if spec.snap_start:  # its events (routes, queues) then invoke the alias
            properties["SnapStart"] = {"ApplyOn": "PublishedVersions"}
            properties["AutoPublishAlias"] = definition.SNAPSTART_ALIAS
        events = _events(spec)
        if events:
            properties["Events"] = events
        resources[f"{logical}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{spec.name}",
                "RetentionInDays": definition.LOG_RETENTION_DAYS,
            },
        }
        resources[f"{logical}Role"] = _role(spec)
        resources[spec.logical_id] = {"Type": "AWS::Serverless::Function", "Properties": properties}
    return resources
