"""Queues (each with its DLQ and DLQ alarm) and the EventBridge schedules."""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import definition


class Queues(Construct):
    """Every definition queue, redriving to its DLQ; a DLQ message alarms the alarm topic."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.alarm_topic = sns.Topic(self, "AlarmTopic", display_name="socialmetrics alarms")
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in definition.QUEUES:
            self._queue(spec)

    def _queue(self, spec: definition.Queue) -> None:
        logical = definition.camel(spec.key)
        dlq = sqs.Queue(
            self,
            f"{logical}DeadLetterQueue",
            queue_name=spec.dlq_name,
            retention_period=cdk.Duration.seconds(definition.DLQ_RETENTION_SECONDS),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            f"{logical}Queue",
            queue_name=spec.name,
            visibility_timeout=cdk.Duration.seconds(definition.visibility_timeout_seconds(spec)),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dlq, max_receive_count=definition.MAX_RECEIVE_COUNT
            ),
        )
        alarm = cloudwatch.Alarm(
            self,
            f"{logical}DeadLetterAlarm",
            alarm_description=f"messages in {spec.dlq_name}: inspect, fix, redrive",
            metric=dlq.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        self.queues[spec.key] = queue
        self.dead_letter_queues[spec.key] = dlq


class Schedules(Construct):
    """One EventBridge Scheduler schedule per definition schedule, invoking its function."""

    def __init__(
        self, scope: Construct, construct_id: str, functions: Mapping[str, lambda_.Function]
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self,
            "ScheduleInvokeRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description="EventBridge Scheduler: invoke the scheduled functions only",
        )
        for spec in definition.SCHEDULES:
            target = functions[spec.target]
            target.grant_invoke(role)
            payload = json.dumps(definition.schedule_input(spec))
            payload = payload.replace("${AWS::AccountId}", stack.account).replace(
                "${AWS::Region}", stack.region
            )
            scheduler.CfnSchedule(
                self,
                f"{definition.camel(spec.key)}Schedule",
                name=f"{definition.PREFIX}-{spec.key}",
                schedule_expression=spec.expression,
                schedule_expression_timezone="UTC",
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=target.function_arn,
                    role_arn=role.role_arn,
                    input=payload,
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=2, maximum_event_age_in_seconds=600
                    ),
                ),
            )
