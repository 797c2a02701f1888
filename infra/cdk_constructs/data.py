"""Network, keys, secrets and the database: the stateful part of the stack."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import definition

POSTGRES_PORT = 5432


class Data(Construct):
    """VPC + security groups, the token key, the app and admin-key secrets, RDS + RDS Proxy."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._network()
        self._keys_and_secrets()
        self._database()

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
        self.app_secret = secretsmanager.Secret(
            self,
            "AppSecret",
            secret_name=definition.APP_SECRET_NAME,
            description="JWT signing key (generated) and platform app secrets (set by operator)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(definition.app_secret_template()),
                generate_string_key=definition.GENERATED_SECRET_KEY,
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
