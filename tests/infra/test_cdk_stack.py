"""Assertions on the synthesised CDK stack: every definition entry is there, wired safely."""

from __future__ import annotations

import json
from typing import Any

from infra import definition
from tests.infra.conftest import Synth


def _logical(synth: Synth, kind: str, **properties: Any) -> str:
    matches = [
        name
        for name, body in synth.resources(kind).items()
        if all(body["Properties"].get(k) == v for k, v in properties.items())
    ]
    assert len(matches) == 1, (kind, properties, matches)
    return matches[0]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def _statements_of(synth: Synth, function_key: str) -> list[dict[str, Any]]:
    spec = definition.function(function_key)
    fn = synth.resources("AWS::Lambda::Function")[
        _logical(synth, "AWS::Lambda::Function", FunctionName=spec.name)
    ]
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _refers_to(resource: Any, logical_id: str) -> bool:
    return logical_id in json.dumps(resource)


def test_every_function_is_present_with_its_handler_runtime_and_arch(synth: Synth) -> None:
    for spec in definition.FUNCTIONS:
        synth.template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": spec.name,
                "Handler": spec.handler,
                "Runtime": definition.RUNTIME,
                "Architectures": [definition.ARCHITECTURE],
                "MemorySize": spec.memory_mb,
                "Timeout": spec.timeout_seconds,
            },
        )


def test_all_functions_share_one_code_asset_and_one_layer(synth: Synth) -> None:
    functions = [
        body
        for body in synth.resources("AWS::Lambda::Function").values()
        if body["Properties"].get("FunctionName", "").startswith(definition.PREFIX)
    ]
    assert len(functions) == len(definition.FUNCTIONS)
    code_keys = {json.dumps(f["Properties"]["Code"]["S3Key"]) for f in functions}
    layers = {json.dumps(f["Properties"]["Layers"]) for f in functions}
    assert len(code_keys) == 1
    assert len(layers) == 1
    # ours; the dashboard's BucketDeployment brings CDK's own AWS CLI layer besides it
    ours = [
        layer
        for layer in synth.resources("AWS::Lambda::LayerVersion").values()
        if layer["Properties"].get("Description", "").startswith("pinned runtime dependencies")
    ]
    assert len(ours) == 1


def test_every_sqs_mapping_reports_batch_item_failures_with_max_concurrency(
    synth: Synth,
) -> None:
    mappings = synth.resources("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len(definition.QUEUES)
    for queue in definition.QUEUES:
        logical = _logical(synth, "AWS::SQS::Queue", QueueName=queue.name)
        mapping = next(
            m["Properties"]
            for m in mappings.values()
            if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [logical, "Arn"]}
        )
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == queue.batch_size
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": queue.max_concurrency}


def test_queues_redrive_to_a_dlq_after_five_receives_with_six_times_visibility(
    synth: Synth,
) -> None:
    for queue in definition.QUEUES:
        body = synth.resources("AWS::SQS::Queue")[
            _logical(synth, "AWS::SQS::Queue", QueueName=queue.name)
        ]["Properties"]
        dlq = _logical(synth, "AWS::SQS::Queue", QueueName=queue.dlq_name)
        consumer = definition.function(queue.consumer)
        assert body["VisibilityTimeout"] >= 6 * consumer.timeout_seconds
        assert body["RedrivePolicy"]["maxReceiveCount"] == definition.MAX_RECEIVE_COUNT
        assert body["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq, "Arn"]}


def test_every_dlq_has_a_depth_alarm(synth: Synth) -> None:
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    for queue in definition.QUEUES:
        dlq = _logical(synth, "AWS::SQS::Queue", QueueName=queue.dlq_name)
        assert any(
            a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [dlq, "QueueName"]}
            and a["Properties"]["AlarmActions"]
            for a in alarms.values()
        ), queue.dlq_name


def test_token_key_rotates_and_has_the_alias(synth: Synth) -> None:
    synth.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    synth.template.has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": definition.KMS_KEY_ALIAS}
    )


def test_database_is_private_encrypted_and_behind_a_proxy(synth: Synth) -> None:
    (database,) = synth.resources("AWS::RDS::DBInstance").values()
    properties = database["Properties"]
    assert properties["PubliclyAccessible"] is False
    assert properties["StorageEncrypted"] is True
    (subnet_group,) = synth.resources("AWS::RDS::DBSubnetGroup").values()
    subnets = subnet_group["Properties"]["SubnetIds"]
    all_subnets = synth.resources("AWS::EC2::Subnet")
    for subnet in subnets:
        assert all_subnets[subnet["Ref"]]["Properties"]["MapPublicIpOnLaunch"] is False
    (proxy,) = synth.resources("AWS::RDS::DBProxy").values()
    assert proxy["Properties"]["EngineFamily"] == "POSTGRESQL"
    # the only way in: the database security group admits the proxy's group only
    ingress = synth.resources("AWS::EC2::SecurityGroupIngress").values()
    db_group = properties["VPCSecurityGroups"][0]["Fn::GetAtt"][0]
    to_db = [
        i["Properties"]
        for i in ingress
        if i["Properties"]["GroupId"] == {"Fn::GetAtt": [db_group, "GroupId"]}
    ]
    assert to_db
    assert all("SourceSecurityGroupId" in rule for rule in to_db)
    assert not any("CidrIp" in rule for rule in to_db)


def test_database_functions_run_in_the_vpc_and_webhooks_do_not(synth: Synth) -> None:
    for spec in definition.FUNCTIONS:
        fn = synth.resources("AWS::Lambda::Function")[
            _logical(synth, "AWS::Lambda::Function", FunctionName=spec.name)
        ]["Properties"]
        assert ("VpcConfig" in fn) is spec.touches_database, spec.key
        assert ("DATABASE_URL" in fn["Environment"]["Variables"]) is spec.touches_database


def test_only_token_decrypting_functions_may_use_the_token_key(synth: Synth) -> None:
    key = _logical(synth, "AWS::KMS::Key")
    allowed = {f.key for f in definition.FUNCTIONS if f.decrypts_tokens}
    assert allowed == {"api", "collector", "maintenance", "webhook_sender"}
    for spec in definition.FUNCTIONS:
        uses_key = any(
            any(a.startswith("kms:") for a in _actions(s))
            and any(_refers_to(r, key) for r in _resources(s))
            for s in _statements_of(synth, spec.key)
        )
        decrypts = any("kms:Decrypt" in _actions(s) for s in _statements_of(synth, spec.key))
        assert uses_key is (spec.key in allowed), spec.key
        assert decrypts is (spec.key in allowed), spec.key


def test_webhook_functions_may_only_send_to_the_events_queue(synth: Synth) -> None:
    events = _logical(synth, "AWS::SQS::Queue", QueueName=definition.queue("events").name)
    for key in ("webhook_meta", "webhook_x", "webhook_tiktok"):
        statements = _statements_of(synth, key)
        sqs = [s for s in statements if any(a.startswith("sqs:") for a in _actions(s))]
        assert sqs, key
        for statement in sqs:
            assert _actions(statement) == ["sqs:SendMessage"]
            assert all(_refers_to(r, events) for r in _resources(statement))
        services = {a.split(":")[0] for s in statements for a in _actions(s)}
        assert services == {"logs", "sqs", "secretsmanager", "xray"}, key


def test_senders_get_their_queue_urls_in_the_environment(synth: Synth) -> None:
    for spec in definition.FUNCTIONS:
        fn = synth.resources("AWS::Lambda::Function")[
            _logical(synth, "AWS::Lambda::Function", FunctionName=spec.name)
        ]["Properties"]
        variables = fn["Environment"]["Variables"]
        assert ("QUEUE_URLS" in variables) is bool(spec.sends_to), spec.key
        if not spec.sends_to:
            continue
        parts = variables["QUEUE_URLS"]["Fn::Join"][1]
        urls = json.loads("".join(p if isinstance(p, str) else p["Ref"] for p in parts))
        assert urls == {
            key: _logical(synth, "AWS::SQS::Queue", QueueName=definition.queue(key).name)
            for key in spec.sends_to
        }


def test_no_policy_allows_every_action_on_every_resource(synth: Synth) -> None:
    documents = [
        p["Properties"]["PolicyDocument"] for p in synth.resources("AWS::IAM::Policy").values()
    ]
    for role in synth.resources("AWS::IAM::Role").values():
        documents += [p["PolicyDocument"] for p in role["Properties"].get("Policies", [])]
    assert documents
    for document in documents:
        for statement in document["Statement"]:
            actions, resources = _actions(statement), _resources(statement)
            wildcard_action = any(a == "*" or a.endswith(":*") for a in actions)
            assert not (wildcard_action and "*" in resources), statement


def test_log_groups_have_retention(synth: Synth) -> None:
    groups = synth.resources("AWS::Logs::LogGroup")
    names = {g["Properties"].get("LogGroupName") for g in groups.values()}
    for spec in definition.FUNCTIONS:
        assert f"/aws/lambda/{spec.name}" in names
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == definition.LOG_RETENTION_DAYS


def test_routes_and_schedules_come_from_the_definition(synth: Synth) -> None:
    route_keys = {
        r["Properties"]["RouteKey"] for r in synth.resources("AWS::ApiGatewayV2::Route").values()
    }
    assert route_keys == {definition.route_key(route) for route, _ in definition.routes()}
    schedules = synth.resources("AWS::Scheduler::Schedule")
    assert {s["Properties"]["ScheduleExpression"] for s in schedules.values()} == {
        s.expression for s in definition.SCHEDULES
    }
    for schedule in schedules.values():
        payload = json.dumps(schedule["Properties"]["Target"]["Input"])
        assert "<aws.scheduler.scheduled-time>" in payload


def test_migrations_run_on_deploy_through_the_migrate_function(synth: Synth) -> None:
    (migration,) = [
        body
        for body in synth.document["Resources"].values()
        if body["Type"] == "Custom::DatabaseMigration"
    ]
    assert len(migration["Properties"]["MigrationsHash"]) == 16
    migrate = _logical(
        synth, "AWS::Lambda::Function", FunctionName=definition.function("migrate").name
    )
    provider_policies = [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in _actions(s)
    ]
    assert any(_refers_to(s["Resource"], migrate) for s in provider_policies)


def test_every_route_is_throttled_at_the_gateway(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "DefaultRouteSettings": {
                "ThrottlingBurstLimit": definition.API_THROTTLE_BURST,
                "ThrottlingRateLimit": definition.API_THROTTLE_RATE_PER_SECOND,
            },
        },
    )


def test_snapstart_functions_run_python_3_12_on_published_versions(synth: Synth) -> None:
    snap = [spec for spec in definition.FUNCTIONS if spec.snap_start]
    assert {"api", "collector", "webhook_meta", "webhook_x", "webhook_tiktok"} <= {
        spec.key for spec in snap
    }
    assert definition.RUNTIME == "python3.12"  # the first Python runtime with SnapStart
    for spec in definition.FUNCTIONS:
        body = synth.resources("AWS::Lambda::Function")[
            _logical(synth, "AWS::Lambda::Function", FunctionName=spec.name)
        ]["Properties"]
        if spec.snap_start:
            synth.template.has_resource_properties(
                "AWS::Lambda::Function",
                {
                    "FunctionName": spec.name,
                    "Runtime": "python3.12",
                    "SnapStart": {"ApplyOn": "PublishedVersions"},
                },
            )
        else:
            assert "SnapStart" not in body, spec.key


def _alias_of(synth: Synth, function_key: str) -> str:
    function = _logical(
        synth, "AWS::Lambda::Function", FunctionName=definition.function(function_key).name
    )
    return _logical(
        synth,
        "AWS::Lambda::Alias",
        FunctionName={"Ref": function},
        Name=definition.SNAPSTART_ALIAS,
    )


def test_queue_consumers_with_snapstart_are_invoked_through_their_alias(synth: Synth) -> None:
    mappings = synth.resources("AWS::Lambda::EventSourceMapping").values()
    for queue in definition.QUEUES:
        consumer = definition.function(queue.consumer)
        queue_arn = {
            "Fn::GetAtt": [_logical(synth, "AWS::SQS::Queue", QueueName=queue.name), "Arn"]
        }
        mapping = next(
            m["Properties"] for m in mappings if m["Properties"]["EventSourceArn"] == queue_arn
        )
        function = _logical(synth, "AWS::Lambda::Function", FunctionName=consumer.name)
        if consumer.snap_start:
            alias = _alias_of(synth, consumer.key)
            assert _refers_to(mapping["FunctionName"], alias), queue.key
            assert f":{definition.SNAPSTART_ALIAS}" in json.dumps(mapping["FunctionName"])
        else:
            assert mapping["FunctionName"] == {"Ref": function}, queue.key


def test_api_and_webhook_routes_integrate_the_published_alias(synth: Synth) -> None:
    integrations = synth.resources("AWS::ApiGatewayV2::Integration").values()
    for route, spec in definition.routes():
        assert spec.snap_start, route
        alias = _alias_of(synth, spec.key)
        synth.template.has_resource_properties(
            "AWS::ApiGatewayV2::Integration", {"IntegrationUri": {"Ref": alias}}
        )
    uris = [json.dumps(body["Properties"]["IntegrationUri"]) for body in integrations]
    assert all("Alias" in uri for uri in uris), uris
    # API Gateway may invoke each alias (the permission names the alias, not $LATEST).
    permissions = synth.resources("AWS::Lambda::Permission").values()
    for key in {spec.key for _, spec in definition.routes()}:
        alias = _alias_of(synth, key)
        assert any(
            p["Properties"]["FunctionName"] == {"Ref": alias}
            and p["Properties"]["Principal"] == "apigateway.amazonaws.com"
            for p in permissions
        ), key
