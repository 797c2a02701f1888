"""The CDK stack, built entirely from ``infra.definition``.

Every function, route, queue (+ DLQ, alarm, event source mapping) and schedule comes from the
definition; this module only says how each kind of thing is expressed in CloudFormation.
Permissions are granted per function from its definition flags (``sends_to``,
``decrypts_tokens``, ``reads_app_secret``, ``touches_database``) — nothing is granted to all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra import definition

POSTGRES_PORT = 5432
_RETENTION = {30: logs.RetentionDays.ONE_MONTH, 90: logs.RetentionDays.THREE_MONTHS}


def migrations_fingerprint(root: Path) -> str:
    """A hash of the migration scripts: the migrate custom resource re-runs when it changes."""
    digest = hashlib.sha256()
    versions = root / "shared" / "socialmetrics" / "db" / "migrations" / "versions"
    for path in sorted(versions.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class SocialMetricsStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer_dir: Path,
        migrations_hash: str,
        dashboard_dir: Path | None = None,
        environment_name: str = "prod",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.functions: dict[str, lambda_.Function] = {}
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}

        self.alarm_topic = sns.Topic(self, "AlarmTopic", display_name="socialmetrics alarms")
        self._network()
        self._keys_and_secrets()
        self._database()
        self._queues()
        code = lambda_.Code.from_asset(str(code_dir))
        self.layer = lambda_.LayerVersion(
            self,
            "DependencyLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="pinned runtime dependencies (requirements/runtime.lock) + socialmetrics",
        )
        for spec in definition.FUNCTIONS:
            self.functions[spec.key] = self._function(spec, code, environment_name)
        self._event_sources()
        self._dashboard_site()
        self._http_api()
        if dashboard_dir is not None:
            self._dashboard_content(dashboard_dir)
        self._schedules()
        self._migrate_on_deploy(migrations_hash)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        cdk.CfnOutput(self, "AppSecretArn", value=self.app_secret.secret_arn)
        cdk.CfnOutput(self, "AdminKeySecretArn", value=self.admin_key_secret.secret_arn)
        cdk.CfnOutput(self, "MigrateFunctionName", value=self.functions["migrate"].function_name)

    # --- network, keys, database -------------------------------------------------------------
    def _network(self) -> None:
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
                ec2.SubnetConfiguration(
                    name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                ),
            ],
        )
        self.lambda_sg = ec2.SecurityGroup(
            self, "FunctionSecurityGroup", vpc=self.vpc, description="database-using functions"
        )
        self.proxy_sg = ec2.SecurityGroup(
            self, "ProxySecurityGroup", vpc=self.vpc, description="RDS Proxy"
        )
        self.db_sg = ec2.SecurityGroup(
            self, "DatabaseSecurityGroup", vpc=self.vpc, description="RDS PostgreSQL"
        )
        self.proxy_sg.add_ingress_rule(
            self.lambda_sg, ec2.Port.tcp(POSTGRES_PORT), "functions to the proxy"
        )
        self.db_sg.add_ingress_rule(
            self.proxy_sg, ec2.Port.tcp(POSTGRES_PORT), "proxy to the database"
        )

    def _keys_and_secrets(self) -> None:
        self.token_key = kms.Key(
            self,
            "TokenKey",
            description="envelope key for platform access/refresh tokens",
            enable_key_rotation=True,
            alias=definition.KMS_KEY_ALIAS,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        template = {key: "" for key in definition.APP_SECRET_KEYS if key != "jwt_signing_key"}
        self.app_secret = secretsmanager.Secret(
            self,
            "AppSecret",
            secret_name=definition.APP_SECRET_NAME,
            description="JWT signing key (generated) and platform app secrets (set by operator)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(template),
                generate_string_key="jwt_signing_key",
                exclude_punctuation=True,
                password_length=64,
            ),
        )

        self.admin_key_secret = secretsmanager.Secret(
            self,
            "AdminKeySecret",
            secret_name=definition.ADMIN_KEY_SECRET_NAME,
            description="first admin API key, written by the migrate function (admin_create)",
            secret_string_value=cdk.SecretValue.unsafe_plain_text(
                definition.ADMIN_KEY_PLACEHOLDER  # not a secret: a placeholder
            ),
        )

    def _database(self) -> None:
        isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.database = rds.DatabaseInstance(
            self,
            "Database",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16_9),
            instance_type=ec2.InstanceType.of(
                ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.MICRO
            ),
            vpc=self.vpc,
            vpc_subnets=isolated,
            security_groups=[self.db_sg],
            publicly_accessible=False,
            credentials=rds.Credentials.from_generated_secret(definition.DATABASE_USER),
            database_name=definition.DATABASE_NAME,
            storage_encrypted=True,
            allocated_storage=20,
            max_allocated_storage=100,
            backup_retention=cdk.Duration.days(7),
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
        )
        secret = self.database.secret
        assert secret is not None  # from_generated_secret always creates one
        self.database_secret = secret
        self.proxy = self.database.add_proxy(
            "Proxy",
            secrets=[secret],
            vpc=self.vpc,
            vpc_subnets=isolated,
            security_groups=[self.proxy_sg],
            require_tls=True,
        )
        password = secret.secret_value_from_json("password").unsafe_unwrap()
        self.database_url = (
            f"postgresql://{definition.DATABASE_USER}:{password}@{self.proxy.endpoint}:"
            f"{POSTGRES_PORT}/{definition.DATABASE_NAME}"
        )

    # --- queues ------------------------------------------------------------------------------
    def _queues(self) -> None:
        for spec in definition.QUEUES:
            logical = definition.camel(spec.key)
            dlq = sqs.Queue(
                self,
                f"{logical}DeadLetterQueue",
                queue_name=spec.dlq_name,
                retention_period=cdk.Duration.seconds(definition.DLQ_RETENTION_SECONDS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            queue = sqs.Queue(
                self,
                f"{logical}Queue",
                queue_name=spec.name,
                visibility_timeout=cdk.Duration.seconds(
                    definition.visibility_timeout_seconds(spec)
                ),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=definition.MAX_RECEIVE_COUNT
                ),
            )
            alarm = cloudwatch.Alarm(
                self,
                f"{logical}DeadLetterAlarm",
                alarm_description=f"messages in {spec.dlq_name}: inspect, fix, redrive",
                metric=dlq.metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(1), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
            self.queues[spec.key] = queue
            self.dead_letter_queues[spec.key] = dlq

    # --- functions ---------------------------------------------------------------------------
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
                    actions=["sqs:SendMessage"], resources=[self.queues[queue_key].queue_arn]
                )
            )
        if spec.dead_letters:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
                    resources=[
                        self.dead_letter_queues[q.key].queue_arn
                        for q in definition.queues_consumed_by(spec.key)
                    ],
                )
            )
        if spec.decrypts_tokens:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self.token_key.key_arn],
                )
            )
        if spec.reads_app_secret:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.app_secret.secret_arn],
                )
            )
        if spec.writes_admin_key:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:DescribeSecret",
                    ],
                    resources=[self.admin_key_secret.secret_arn],
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
            retention=_RETENTION[definition.LOG_RETENTION_DAYS],
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        environment = definition.environment(spec)
        environment["ENVIRONMENT"] = environment_name
        if spec.sends_to:
            environment["QUEUE_URLS"] = self.to_json_string(
                {key: self.queues[key].queue_url for key in spec.sends_to}
            )
        in_vpc: dict[str, Any] = {}
        if spec.touches_database:
            environment["DATABASE_URL"] = self.database_url
            in_vpc = {
                "vpc": self.vpc,
                "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                "security_groups": [self.lambda_sg],
            }
        function = lambda_.Function(
            self,
            logical,
            function_name=spec.name,
            description=spec.description,
            runtime=lambda_.Runtime.PYTHON_3_11,
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
            **in_vpc,
        )
        return function

    def _event_sources(self) -> None:
        for spec in definition.QUEUES:
            self.functions[spec.consumer].add_event_source(
                event_sources.SqsEventSource(
                    self.queues[spec.key],
                    batch_size=spec.batch_size,
                    max_batching_window=cdk.Duration.seconds(spec.batching_window_seconds)
                    if spec.batching_window_seconds
                    else None,
                    max_concurrency=spec.max_concurrency,
                    report_batch_item_failures=True,
                )
            )

    # --- triggers ----------------------------------------------------------------------------
    def _http_api(self) -> None:
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=f"{definition.PREFIX}-api",
            create_default_stage=True,
            # Browsers may call the API from the dashboard's origin only.
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=[self.dashboard_origin],
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
                self.functions[spec.key],
                payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0,
            )
            self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=integration,
            )
        cdk.CfnOutput(self, "ApiUrl", value=self.http_api.api_endpoint)

    # --- dashboard ---------------------------------------------------------------------------
    def _dashboard_site(self) -> None:
        """A private bucket read only by CloudFront (origin access control), served over HTTPS
        only with the definition's security headers and CSP."""
        self.dashboard_bucket = s3.Bucket(
            self,
            "DashboardBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
        )
        headers = dict(definition.DASHBOARD_HEADERS)
        custom = ("Permissions-Policy", "Cross-Origin-Opener-Policy")
        # The API's origin is not known here without a dependency cycle (the API's CORS names
        # the distribution), so connect-src allows this region's execute-api hosts.
        api_hosts = f"https://*.execute-api.{self.region}.{self.url_suffix}"
        policy = cloudfront.ResponseHeadersPolicy(
            self,
            "DashboardHeaders",
            response_headers_policy_name=f"{definition.PREFIX}-dashboard-{self.region}",
            comment="socialmetrics dashboard: CSP and security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=definition.dashboard_csp(api_hosts), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.seconds(definition.DASHBOARD_HSTS_SECONDS),
                    include_subdomains=True,
                    override=True,
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(header=name, value=headers[name], override=True)
                    for name in custom
                ]
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "DashboardDistribution",
            comment="socialmetrics dashboard",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.dashboard_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=policy,
                compress=True,
            ),
        )
        self.dashboard_origin = f"https://{self.distribution.distribution_domain_name}"
        cdk.CfnOutput(self, "DashboardUrl", value=f"{self.dashboard_origin}/")

    def _dashboard_content(self, dashboard_dir: Path) -> None:
        """Upload the built files and write ``config.json`` with this stack's API URL."""
        s3deploy.BucketDeployment(
            self,
            "DashboardDeployment",
            sources=[
                s3deploy.Source.asset(str(dashboard_dir)),
                s3deploy.Source.json_data(
                    definition.DASHBOARD_CONFIG_FILE, {"apiUrl": self.http_api.api_endpoint}
                ),
            ],
            destination_bucket=self.dashboard_bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            cache_control=[s3deploy.CacheControl.no_cache()],
            memory_limit=256,
        )

    def _schedules(self) -> None:
        role = iam.Role(
            self,
            "ScheduleInvokeRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description="EventBridge Scheduler: invoke the scheduled functions only",
        )
        for spec in definition.SCHEDULES:
            target = self.functions[spec.target]
            target.grant_invoke(role)
            payload = json.dumps(definition.schedule_input(spec))
            payload = payload.replace("${AWS::AccountId}", self.account).replace(
                "${AWS::Region}", self.region
            )
            scheduler.CfnSchedule(
                self,
                f"{definition.camel(spec.key)}Schedule",
                name=f"{definition.PREFIX}-{spec.key}",
                schedule_expression=spec.expression,
                schedule_expression_timezone="UTC",
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=target.function_arn,
                    role_arn=role.role_arn,
                    input=payload,
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=2, maximum_event_age_in_seconds=600
                    ),
                ),
            )

    def _migrate_on_deploy(self, migrations_hash: str) -> None:
        """A custom resource whose handler is the ``migrate`` function: CloudFormation runs the
        migrations on create and whenever the migration scripts change (their hash is a
        property), after the database and proxy exist and before the stack completes."""
        provider_logs = logs.LogGroup(
            self,
            "MigrateProviderLogGroup",
            retention=_RETENTION[definition.LOG_RETENTION_DAYS],
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
        migration.node.add_dependency(self.proxy)
        migration.node.add_dependency(self.database)


def _route_suffix(route: definition.Route) -> str:
    words = [part.strip("{}+") for part in route.path.split("/") if part] or ["root"]
    return definition.camel(route.method.lower()) + "".join(definition.camel(w) for w in words)
