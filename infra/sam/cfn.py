"""CloudFormation building blocks the SAM template's parts share: intrinsic functions, IAM
statement and trust-policy shapes, and the resource-map type."""

from __future__ import annotations

from typing import Any

Template = dict[str, Any]
POSTGRES_PORT = 5432


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def get_att(name: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, attribute]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def statement(actions: list[str], resources: list[Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def assume(service: str) -> dict[str, Any]:
    """A role's trust policy: ``service`` may assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
