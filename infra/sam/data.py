"""Keys, secrets and the database of the SAM template: the token KMS key, the app and admin-key
secrets, RDS PostgreSQL and the RDS Proxy in front of it."""

from __future__ import annotations

import json

from infra import definition
from infra.sam.cfn import Template, assume, get_att, ref, statement, sub

# Characters RDS refuses in passwords plus those that would break a postgresql:// URL.
PASSWORD_EXCLUDED = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"  # noqa: S105 - not a secret


def resources() -> Template:
    return {
        "TokenKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": "envelope key for platform access/refresh tokens",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersTheKeyThroughIam",
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                            },
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
        "TokenKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": definition.KMS_KEY_ALIAS, "TargetKeyId": ref("TokenKey")},
        },
        "AppSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": definition.APP_SECRET_NAME,
                "Description": (
                    "JWT signing key (generated) and platform app secrets (set by operator)"
                ),
                "GenerateSecretString": {
                    "SecretStringTemplate": json.dumps(definition.app_secret_template()),
                    "GenerateStringKey": definition.GENERATED_SECRET_KEY,
                    "PasswordLength": 64,
                    "ExcludePunctuation": True,
                },
            },
        },
        "AdminKeySecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": definition.ADMIN_KEY_SECRET_NAME,
                "Description": (
                    "first admin API key, written by the migrate function (admin_create)"
                ),
                "SecretString": definition.ADMIN_KEY_PLACEHOLDER,
            },
        },
        "DatabaseSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Description": "RDS master credentials (used by RDS Proxy)",
                "GenerateSecretString": {
                    "SecretStringTemplate": json.dumps({"username": definition.DATABASE_USER}),
                    "GenerateStringKey": "password",
                    "PasswordLength": 32,
                    "ExcludeCharacters": PASSWORD_EXCLUDED,
                },
            },
        },
        "DatabaseSubnetGroup": {
            "Type": "AWS::RDS::DBSubnetGroup",
            "Properties": {
                "DBSubnetGroupDescription": "private data subnets",
                "SubnetIds": [ref("DataSubnet1"), ref("DataSubnet2")],
            },
        },
        "Database": {
            "Type": "AWS::RDS::DBInstance",
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
            "Properties": {
                "Engine": "postgres",
                "EngineVersion": "16.9",
                "DBInstanceClass": "db.t4g.micro",
                "AllocatedStorage": "20",
                "MaxAllocatedStorage": 100,
                "StorageType": "gp3",
                "StorageEncrypted": True,
                "PubliclyAccessible": False,
                "DBName": definition.DATABASE_NAME,
                "MasterUsername": sub(
                    "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:username}}"
                ),
                "MasterUserPassword": sub(
                    "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"
                ),
                "DBSubnetGroupName": ref("DatabaseSubnetGroup"),
                "VPCSecurityGroups": [ref("DatabaseSecurityGroup")],
                "BackupRetentionPeriod": 7,
                "DeletionProtection": True,
                "CopyTagsToSnapshot": True,
                "AutoMinorVersionUpgrade": True,
            },
        },
        "DatabaseSecretAttachment": {
            "Type": "AWS::SecretsManager::SecretTargetAttachment",
            "Properties": {
                "SecretId": ref("DatabaseSecret"),
                "TargetId": ref("Database"),
                "TargetType": "AWS::RDS::DBInstance",
            },
        },
        "DatabaseProxyRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": assume("rds.amazonaws.com"),
                "Policies": [
                    {
                        "PolicyName": "read-database-secret",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                statement(
                                    ["secretsmanager:GetSecretValue"], [ref("DatabaseSecret")]
                                )
                            ],
                        },
                    }
                ],
            },
        },
        "DatabaseProxy": {
            "Type": "AWS::RDS::DBProxy",
            "Properties": {
                "DBProxyName": f"{definition.PREFIX}-proxy",
                "EngineFamily": "POSTGRESQL",
                "Auth": [
                    {
                        "AuthScheme": "SECRETS",
                        "SecretArn": ref("DatabaseSecret"),
                        "IAMAuth": "DISABLED",
                    }
                ],
                "RoleArn": get_att("DatabaseProxyRole", "Arn"),
                "RequireTLS": True,
                "VpcSubnetIds": [ref("DataSubnet1"), ref("DataSubnet2")],
                "VpcSecurityGroupIds": [ref("ProxySecurityGroup")],
            },
        },
        "DatabaseProxyTargetGroup": {
            "Type": "AWS::RDS::DBProxyTargetGroup",
            "DependsOn": "DatabaseSecretAttachment",
            "Properties": {
                "DBProxyName": ref("DatabaseProxy"),
                "TargetGroupName": "default",
                "DBInstanceIdentifiers": [ref("Database")],
            },
        },
    }
