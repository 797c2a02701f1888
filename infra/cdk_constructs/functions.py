"""Functions (each with its log group and least-privilege role), SQS event sources, the HTTP
API and the migrate-on-deploy custom resource.

A function with ``snap_start`` gets SnapStart on published versions and an alias
(``definition.SNAPSTART_ALIAS``) on its current version; its SQS event sources and HTTP routes
invoke that alias (``self.targets``), so they always reach a snapshotted version.

Permissions are granted per function from its definition flags (``sends_to``,
``decrypts_tokens``, ``reads_app_secret``, ``touches_database``, ...): nothing is granted to all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra import definition
from infra.cdk_constructs.data import Data
from infra.cdk_constructs.exports import Exports
from infra.cdk_constructs.queues import Queues

RETENTION = {30: logs.RetentionDays.ONE_MONTH, 90: logs.RetentionDays.THREE_MONTHS}
RUNTIME = next(runtime for runtime in lambda_.Runtime.ALL if runtime.name == definition.RUNTIME)


class Functions(Construct):
    """Every definition function on one code asset + one dependency layer, and the HTTP API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        queues: Queues,
        exports: Exports,
        code_dir: Path,
        layer_dir: Path,
        environment_name: str,
        dashboard_origin: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self._queues = queues
        self._exports = exports
        self.functions: dict[str, lambda_.Function] = {}
        # What event sources and routes invoke: the SnapStart alias, or the function itself.
        self.targets: dict[str, lambda_.IFunction] = {}
        code = lambda_.Code.from_asset(str(code_dir))
        self.layer = lambda_.LayerVersion(
            self,
            "DependencyLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="pinned runtime dependencies (requirements/runtime.lock) + socialmetrics",
        )
        for spec in definition.FUNCTIONS:
            function = self.functions[spec.key] = self._function(spec, code, environment_name)
            self.targets[spec.key] = (
                lambda_.Alias(
                    self,
                    f"{definition.camel(spec.key)}Alias",
                    alias_name=definition.SNAPSTART_ALIAS,
                    version=function.current_version,
                )
                if spec.snap_start
                else function
            )
        self._event_sources()
        self._http_api(dashboard_origin)

    def _role(self, spec: definition.Function, log_group: logs.LogGroup) -> iam.Role:
        logical = definition.camel(spec.key)
        role = iam.Role(
            self,
            f"{logical}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.name}: only what its definition grants",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
            )
        )
        if spec.touches_database:
            role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaVPCAccessExecutionRole"
                )
            )
        for queue_key in spec.sends_to:
            # the URL comes from QUEUE_URLS, so sending needs no GetQueueUrl
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sqs:SendMessage"],
                    resources=[self._queues.queues[queue_key].queue_arn],
                )
            )
        if spec.dead_letters:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
                    resources=[
                        self._queues.dead_letter_queues[q.key].queue_arn
                        for q in definition.queues_consumed_by(spec.key)
                    ],
                )
            )
        if spec.decrypts_tokens:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self._data.token_key.key_arn],
                )
            )
        if spec.reads_app_secret:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self._data.app_secret.secret_arn],
                )
            )
        if spec.reads_exports:
            role.add_to_policy(self._exports.statement(definition.EXPORT_READ_ACTIONS))
        if spec.writes_exports:
            role.add_to_policy(self._exports.statement(definition.EXPORT_WRITE_ACTIONS))
        if spec.writes_admin_key:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:DescribeSecret",
                    ],
                    resources=[self._data.admin_key_secret.secret_arn],
                )
            )
        return role

    def _function(
        self, spec: definition.Function, code: lambda_.Code, environment_name: str
    ) -> lambda_.Function:
        logical = definition.camel(spec.key)
        log_group = logs.LogGroup(
            self,
            f"{logical}LogGroup",
            log_group_name=f"/aws/lambda/{spec.name}",
            retention=RETENTION[definition.LOG_RETENTION_DAYS],
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        environment = definition.environment(spec)
        environment["ENVIRONMENT"] = environment_name
        if spec.sends_to:
            environment["QUEUE_URLS"] = cdk.Stack.of(self).to_json_string(
                {key: self._queues.queues[key].queue_url for key in spec.sends_to}
            )
        if spec.reads_exports or spec.writes_exports:
            environment["EXPORT_BUCKET"] = self._exports.bucket.bucket_name
        in_vpc: dict[str, Any] = {}
        if spec.touches_database:
            environment["DATABASE_URL"] = self._data.database_url
            in_vpc = {
                "vpc": self._data.vpc,
                "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                "security_groups": [self._data.lambda_sg],
            }
        return lambda_.Function(
            self,
            logical,
            function_name=spec.name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=code,
            layers=[self.layer],
            memory_size=spec.memory_mb,
            timeout=cdk.Duration.seconds(spec.timeout_seconds),
            environment=environment,
            log_group=log_group,
            role=self._role(spec, log_group),
            tracing=lambda_.Tracing.ACTIVE,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snap_start else None,
            **in_vpc,
        )

    def _event_sources(self) -> None:
        for spec in definition.QUEUES:
            self.targets[spec.consumer].add_event_source(
                event_sources.SqsEventSource(
                    self._queues.queues[spec.key],
                    batch_size=spec.batch_size,
                    max_batching_window=cdk.Duration.seconds(spec.batching_window_seconds)
                    if spec.batching_window_seconds
                    else None,
                    max_concurrency=spec.max_concurrency,
                    report_batch_item_failures=True,
                )
            )

    def _http_api(self, dashboard_origin: str) -> None:
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=f"{definition.PREFIX}-api",
            create_default_stage=True,
            # Browsers may call the API from the dashboard's origin only.
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=[dashboard_origin],
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["authorization", "content-type", "accept"],
                expose_headers=["x-next-cursor", "link", "x-request-id", "content-disposition"],
                max_age=cdk.Duration.hours(1),
            ),
        )
        stage = self.http_api.default_stage
        assert stage is not None
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_burst_limit=definition.API_THROTTLE_BURST,
            throttling_rate_limit=definition.API_THROTTLE_RATE_PER_SECOND,
        )
        for route, spec in definition.routes():
            integration = integrations.HttpLambdaIntegration(
                f"{definition.camel(spec.key)}Integration{_route_suffix(route)}",
                self.targets[spec.key],
                payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
            )
            self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=integration,
            )

    def migrate_on_deploy(self, migrations_hash: str) -> None:
        """A custom resource whose handler is the ``migrate`` function: CloudFormation runs the
        migrations on create and whenever the migration scripts change (their hash is a
        property), after the database and proxy exist and before the stack completes."""
        provider_logs = logs.LogGroup(
            self,
            "MigrateProviderLogGroup",
            retention=RETENTION[definition.LOG_RETENTION_DAYS],
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        provider = cr.Provider(
            self,
            "MigrateProvider",
            on_event_handler=self.functions[definition.MIGRATE_FUNCTION],
            log_group=provider_logs,
        )
        migration = cdk.CustomResource(
            self,
            "DatabaseMigration",
            service_token=provider.service_token,
            resource_type="Custom::DatabaseMigration",
            properties={"MigrationsHash": migrations_hash},
        )
        migration.node.add_dependency(self._data.proxy)
        migration.node.add_dependency(self._data.database)


def _route_suffix(route: definition.Route) -> str:
    words = [part.strip("{}+") for part in route.path.split("/") if part] or ["root"]
    return definition.camel(route.method.lower()) + "".join(definition.camel(w) for w in words)
