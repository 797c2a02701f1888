"""The dashboard's hosting in the SAM template: a private S3 bucket behind CloudFront."""

from __future__ import annotations

from infra import definition
from infra.sam.cfn import Template, get_att, ref, sub

# CloudFront's managed "CachingOptimized" cache policy.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def resources() -> Template:
    """The dashboard's hosting, as the CDK stack has it: a private bucket read by CloudFront
    through origin access control, HTTPS only, the definition's CSP and security headers.
    (SAM has no BucketDeployment: upload dashboard/dist and config.json after deploying;
    see docs/deployment.md.)"""
    headers = definition.DASHBOARD_HEADERS
    api_hosts = "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    bucket_arn = get_att("DashboardBucket", "Arn")
    objects = sub("${DashboardBucket.Arn}/*")
    return {
        "DashboardBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            },
        },
        "DashboardBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("DashboardBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Resource": [bucket_arn, objects],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": objects,
                            "Condition": {
                                "StringEquals": {
                                    "AWS:SourceArn": sub(
                                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                                        "distribution/${DashboardDistribution}"
                                    )
                                }
                            },
                        },
                    ],
                },
            },
        },
        "DashboardOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub(f"{definition.PREFIX}-dashboard-${{AWS::StackName}}"),
                    "Description": "CloudFront reads the dashboard bucket (signed requests)",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "DashboardHeaders": {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {
                "ResponseHeadersPolicyConfig": {
                    "Name": sub(f"{definition.PREFIX}-dashboard-${{AWS::StackName}}"),
                    "Comment": "socialmetrics dashboard: CSP and security headers",
                    "SecurityHeadersConfig": {
                        "ContentSecurityPolicy": {
                            "ContentSecurityPolicy": sub(definition.dashboard_csp(api_hosts)),
                            "Override": True,
                        },
                        "ContentTypeOptions": {"Override": True},
                        "FrameOptions": {"FrameOption": "DENY", "Override": True},
                        "ReferrerPolicy": {"ReferrerPolicy": "no-referrer", "Override": True},
                        "StrictTransportSecurity": {
                            "AccessControlMaxAgeSec": definition.DASHBOARD_HSTS_SECONDS,
                            "IncludeSubdomains": True,
                            "Override": True,
                        },
                    },
                    "CustomHeadersConfig": {
                        "Items": [
                            {"Header": name, "Value": headers[name], "Override": True}
                            for name in ("Permissions-Policy", "Cross-Origin-Opener-Policy")
                        ]
                    },
                }
            },
        },
        "DashboardDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": "socialmetrics dashboard",
                    "DefaultRootObject": "index.html",
                    "HttpVersion": "http2and3",
                    "IPV6Enabled": True,
                    "PriceClass": "PriceClass_100",
                    "Origins": [
                        {
                            "Id": "dashboard-bucket",
                            "DomainName": get_att("DashboardBucket", "RegionalDomainName"),
                            "OriginAccessControlId": get_att("DashboardOriginAccessControl", "Id"),
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "dashboard-bucket",
                        "ViewerProtocolPolicy": "https-only",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "CachePolicyId": CACHING_OPTIMIZED,
                        "ResponseHeadersPolicyId": ref("DashboardHeaders"),
                        "Compress": True,
                    },
                }
            },
        },
    }
