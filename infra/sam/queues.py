"""The queues of the SAM template: each queue with its dead-letter queue and an alarm on it,
all alarms publishing to one SNS topic."""

from __future__ import annotations

from infra import definition
from infra.sam.cfn import Template, get_att, ref


def resources() -> Template:
    resources: Template = {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": "socialmetrics alarms"},
        }
    }
    for spec in definition.QUEUES:
        logical = definition.camel(spec.key)
        resources[f"{logical}DeadLetterQueue"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": spec.dlq_name,
                "MessageRetentionPeriod": definition.DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        }
        resources[f"{logical}Queue"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": spec.name,
                "VisibilityTimeout": definition.visibility_timeout_seconds(spec),
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att(f"{logical}DeadLetterQueue", "Arn"),
                    "maxReceiveCount": definition.MAX_RECEIVE_COUNT,
                },
            },
        }
        resources[f"{logical}DeadLetterAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"messages in {spec.dlq_name}: inspect, fix, redrive",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {
                        "Name": "QueueName",
                        "Value": get_att(f"{logical}DeadLetterQueue", "QueueName"),
                    }
                ],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [ref("AlarmTopic")],
            },
        }
    return resources
