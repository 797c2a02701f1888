"""The SAM template and the CDK stack express the same definition (``infra.compare``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra import compare, definition
from tests.infra.conftest import Synth


@pytest.fixture(scope="module")
def sam() -> compare.Model:
    return compare.model(compare.sam_document())


@pytest.fixture(scope="module")
def cdk(synth: Synth) -> compare.Model:
    return compare.model(synth.document)


def test_sam_and_cdk_differ_only_where_a_reason_is_listed(
    sam: compare.Model, cdk: compare.Model
) -> None:
    lines, drift = compare.report(sam, cdk)
    assert drift == 0, "\n".join(lines)
    assert lines[-1].startswith("the emitters agree")


def test_the_comparison_covers_every_entry_of_the_definition(
    sam: compare.Model, cdk: compare.Model
) -> None:
    for model in (sam, cdk):
        for spec in definition.FUNCTIONS:
            fn = model["functions"][f"function:{spec.name}"]
            assert fn["handler"] == spec.handler
            assert fn["memory"] == spec.memory_mb
            assert fn["iam"], spec.key  # the grants were found, not an empty set on both sides
            consumed = definition.queues_consumed_by(spec.key)
            assert [s["batch_size"] for s in fn["queues"]] == [
                q.batch_size for q in sorted(consumed, key=lambda q: q.name)
            ]
        for q in definition.QUEUES:
            queue = model["queues"][f"queue:{q.name}"]
            assert queue["max_receive_count"] == definition.MAX_RECEIVE_COUNT
            assert queue["dead_letter_queue"] == f"${{queue:{q.dlq_name}.Arn}}"
        assert {f"schedule:{definition.PREFIX}-{s.key}" for s in definition.SCHEDULES} == set(
            model["schedules"]
        )
        assert {definition.route_key(r) for r, _ in definition.routes()} == set(model["routes"])
        assert model["api"]["throttles"] == {
            "burst": definition.API_THROTTLE_BURST,
            "rate": definition.API_THROTTLE_RATE_PER_SECOND,
        }
        assert model["keys"]["TokenKey"]["aliases"] == [definition.KMS_KEY_ALIAS]


def _changed(document: dict[str, Any], kind: str, change: Any) -> compare.Model:
    """``document`` with ``change`` applied to the first ``kind`` resource that belongs to a
    function of the definition (logical ids start with the function's camel-case key)."""
    changed = copy.deepcopy(document)
    ours = (*(definition.camel(f.key) for f in definition.FUNCTIONS), "Collect", "Http")
    body = next(
        b
        for name, b in changed["Resources"].items()
        if b["Type"] == kind and (kind == "AWS::KMS::Key" or name.startswith(ours))
    )
    change(body["Properties"])
    return compare.model(changed)


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        (
            "AWS::Lambda::EventSourceMapping",
            lambda p: p.update(BatchSize=p["BatchSize"] + 1),
            "queues",
        ),
        (
            "AWS::Lambda::EventSourceMapping",
            lambda p: p.pop("FunctionResponseTypes"),
            "queues",
        ),
        ("AWS::SQS::Queue", lambda p: p.update(VisibilityTimeout=1), "visibility"),
        (
            "AWS::IAM::Policy",
            lambda p: p["PolicyDocument"]["Statement"].append(
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
            ),
            "kms:Decrypt *",
        ),
        (
            "AWS::KMS::Key",
            lambda p: p["KeyPolicy"]["Statement"][0].update(Action="kms:Decrypt"),
            "policy",
        ),
        (
            "AWS::ApiGatewayV2::Stage",
            lambda p: p["DefaultRouteSettings"].update(ThrottlingBurstLimit=1),
            "throttles",
        ),
        ("AWS::Lambda::Function", lambda p: p.update(Timeout=1), "timeout"),
        (
            "AWS::Lambda::Function",
            lambda p: p["Environment"]["Variables"].update(EXTRA="1"),
            "EXTRA=1",
        ),
    ],
)
def test_a_drift_in_what_matters_is_reported(
    synth: Synth, sam: compare.Model, kind: str, change: Any, expected: str
) -> None:
    lines, drift = compare.report(sam, _changed(synth.document, kind, change))
    assert drift >= 1
    assert any("DRIFT" in line and expected in line for line in lines), "\n".join(lines)


def test_every_deliberate_difference_is_still_needed(
    sam: compare.Model, cdk: compare.Model
) -> None:
    used = {compare.deliberate(d) for d in compare.differences(sam, cdk)}
    stale = [known.reason for known in compare.DELIBERATE if known not in used]
    assert not stale, stale


def test_the_report_lists_the_reason_of_each_deliberate_difference(
    sam: compare.Model, cdk: compare.Model
) -> None:
    text = "\n".join(compare.report(sam, cdk)[0])
    assert "BucketDeployment" in text
    assert json.dumps(compare.DELIBERATE[0].reason)[1:-1] in text
