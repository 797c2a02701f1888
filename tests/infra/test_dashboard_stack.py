"""The dashboard's hosting in the synthesised stack: a private bucket read by CloudFront
through origin access control, HTTPS only with the security headers policy, config.json
written at deploy time with the API URL, and the API's CORS limited to the dashboard."""

from __future__ import annotations

import json
from typing import Any

from infra import definition
from tests.infra.conftest import Synth


def _one(synth: Synth, kind: str) -> tuple[str, dict[str, Any]]:
    """The one resource of ``kind`` of the dashboard (the export bucket is another concern)."""
    found = {
        name: body
        for name, body in synth.resources(kind).items()
        if not name.startswith(definition.EXPORT_BUCKET_ID)
    }
    assert len(found) == 1, (kind, list(found))
    return next(iter(found.items()))


def test_the_bucket_is_private_encrypted_and_tls_only(synth: Synth) -> None:
    bucket_id, bucket = _one(synth, "AWS::S3::Bucket")
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["Properties"]["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    assert "WebsiteConfiguration" not in bucket["Properties"]
    _, policy = _one(synth, "AWS::S3::BucketPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    # The only reader is CloudFront, and only this distribution (OAC's SourceArn condition).
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert allows[0]["Action"] == "s3:GetObject"
    source = json.dumps(allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"])
    distribution_id, _ = _one(synth, "AWS::CloudFront::Distribution")
    assert distribution_id in source
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert bucket_id in json.dumps(policy["Properties"]["Bucket"])


def test_the_distribution_reads_the_bucket_through_origin_access_control(synth: Synth) -> None:
    oac_id, oac = _one(synth, "AWS::CloudFront::OriginAccessControl")
    config = oac["Properties"]["OriginAccessControlConfig"]
    assert config["OriginAccessControlOriginType"] == "s3"
    assert config["SigningBehavior"] == "always"
    _, distribution = _one(synth, "AWS::CloudFront::Distribution")
    origin = distribution["Properties"]["DistributionConfig"]["Origins"][0]
    assert oac_id in json.dumps(origin["OriginAccessControlId"])
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy OAI


def test_the_distribution_is_https_only_with_the_security_headers_policy(synth: Synth) -> None:
    _, distribution = _one(synth, "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert config["DefaultRootObject"] == "index.html"
    policy_id, policy = _one(synth, "AWS::CloudFront::ResponseHeadersPolicy")
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy_id}
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": definition.DASHBOARD_HSTS_SECONDS,
        "IncludeSubdomains": True,
        "Override": True,
    }
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    custom = {h["Header"]: h["Value"] for h in headers["CustomHeadersConfig"]["Items"]}
    assert custom["Permissions-Policy"] == definition.DASHBOARD_HEADERS["Permissions-Policy"]


def test_the_api_allows_cross_origin_calls_from_the_dashboard_only(synth: Synth) -> None:
    _, api = _one(synth, "AWS::ApiGatewayV2::Api")
    cors = api["Properties"]["CorsConfiguration"]
    distribution_id, _ = _one(synth, "AWS::CloudFront::Distribution")
    assert cors["AllowOrigins"] == [
        {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}
    ]
    assert "authorization" in cors["AllowHeaders"]
    assert "x-next-cursor" in cors["ExposeHeaders"]
    assert cors.get("AllowCredentials") is not True  # bearer tokens, never cookies


def test_deploy_uploads_the_build_and_writes_config_with_the_api_url(synth: Synth) -> None:
    _, deployment = _one(synth, "Custom::CDKBucketDeployment")
    properties = deployment["Properties"]
    bucket_id, _ = _one(synth, "AWS::S3::Bucket")
    api_id, _ = _one(synth, "AWS::ApiGatewayV2::Api")
    assert properties["DestinationBucketName"] == {"Ref": bucket_id}
    assert len(properties["SourceObjectKeys"]) == 2  # the built files + config.json
    markers = json.dumps(properties.get("SourceMarkers", []))
    assert api_id in markers  # config.json's apiUrl is this stack's API endpoint
    assert properties["DistributionPaths"] == ["/*"]
    outputs = synth.document["Outputs"]
    assert any(name.startswith("DashboardUrl") for name in outputs)


def test_the_sam_template_hosts_the_dashboard_the_same_way() -> None:
    from infra import sam

    resources = sam.template()["Resources"]
    bucket = resources["DashboardBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    distribution = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    behavior = distribution["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "DashboardHeaders"}
    assert distribution["Origins"][0]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["DashboardOriginAccessControl", "Id"]
    }
    statements = resources["DashboardBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    security = resources["DashboardHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]
    assert "script-src 'self'" in json.dumps(security["ContentSecurityPolicy"])
    cors = resources["HttpApi"]["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == [{"Fn::Sub": "https://${DashboardDistribution.DomainName}"}]
