"""The first admin's key secret: named by the stack, writable by the migrate function only, in
both the CDK stack and template.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from infra import definition
from tests.infra.conftest import Synth
from tests.infra.test_cdk_stack import _actions, _logical, _resources, _statements_of

ROOT = Path(__file__).resolve().parents[2]
WRITE = "secretsmanager:PutSecretValue"


def test_the_cdk_stack_names_the_secret_and_only_migrate_may_write_it(synth: Synth) -> None:
    secret = _logical(synth, "AWS::SecretsManager::Secret", Name=definition.ADMIN_KEY_SECRET_NAME)
    body = synth.resources("AWS::SecretsManager::Secret")[secret]["Properties"]
    assert json.loads(body["SecretString"]) == json.loads(definition.ADMIN_KEY_PLACEHOLDER)
    for spec in definition.FUNCTIONS:
        writes = [
            statement
            for statement in _statements_of(synth, spec.key)
            if WRITE in _actions(statement)
        ]
        if spec.key == definition.MIGRATE_FUNCTION:
            (statement,) = writes
            assert [json.dumps(r) for r in _resources(statement)] == [json.dumps({"Ref": secret})]
            assert "secretsmanager:GetSecretValue" in _actions(statement)
        else:
            assert writes == [], spec.key
    outputs = synth.document["Outputs"]
    assert any(json.dumps({"Ref": secret}) == json.dumps(o["Value"]) for o in outputs.values())


def test_the_migrate_function_is_told_the_secret_name(synth: Synth) -> None:
    spec = definition.function(definition.MIGRATE_FUNCTION)
    fn = synth.resources("AWS::Lambda::Function")[
        _logical(synth, "AWS::Lambda::Function", FunctionName=spec.name)
    ]
    variables = fn["Properties"]["Environment"]["Variables"]
    assert variables["ADMIN_KEY_SECRET_ID"] == definition.ADMIN_KEY_SECRET_NAME


def test_template_yaml_grants_the_same_and_exports_the_secret() -> None:
    document: dict[str, Any] = yaml.safe_load((ROOT / "template.yaml").read_text())
    resources = document["Resources"]
    assert resources["AdminKeySecret"]["Properties"]["Name"] == definition.ADMIN_KEY_SECRET_NAME
    for spec in definition.FUNCTIONS:
        role = resources[f"{definition.camel(spec.key)}Role"]["Properties"]
        statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        writers = [s for s in statements if WRITE in s["Action"]]
        if spec.key == definition.MIGRATE_FUNCTION:
            assert [s["Resource"] for s in writers] == [[{"Ref": "AdminKeySecret"}]]
        else:
            assert writers == [], spec.key
        variables = resources[spec.logical_id]["Properties"]["Environment"]["Variables"]
        assert ("ADMIN_KEY_SECRET_ID" in variables) == spec.writes_admin_key
    assert document["Outputs"]["AdminKeySecretArn"]["Value"] == {"Ref": "AdminKeySecret"}
