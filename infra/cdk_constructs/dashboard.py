"""The dashboard: a private bucket read only by CloudFront (origin access control), served over
HTTPS only with the definition's security headers and CSP, and the upload of its files."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import definition


class Dashboard(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.bucket = s3.Bucket(
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
        api_hosts = f"https://*.execute-api.{stack.region}.{stack.url_suffix}"
        policy = cloudfront.ResponseHeadersPolicy(
            self,
            "DashboardHeaders",
            response_headers_policy_name=f"{definition.PREFIX}-dashboard-{stack.region}",
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
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=policy,
                compress=True,
            ),
        )
        self.origin = f"https://{self.distribution.distribution_domain_name}"

    def upload(self, dashboard_dir: Path, api_url: str) -> None:
        """Upload the built files and write ``config.json`` with this stack's API URL (CDK only:
        the SAM path uploads after ``sam deploy``, see infra/compare.py DELIBERATE)."""
        s3deploy.BucketDeployment(
            self,
            "DashboardDeployment",
            sources=[
                s3deploy.Source.asset(str(dashboard_dir)),
                s3deploy.Source.json_data(definition.DASHBOARD_CONFIG_FILE, {"apiUrl": api_url}),
            ],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            cache_control=[s3deploy.CacheControl.no_cache()],
            memory_limit=256,
        )
