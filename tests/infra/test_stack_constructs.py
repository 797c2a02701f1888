"""The stack is composed of constructs per concern, and splitting it renamed no resource."""

from __future__ import annotations

from tests.infra.conftest import Synth

# Logical ids the stack had before it was split into constructs (one per concern, including the
# ids CDK derives from another construct's unique id: event sources, security group rules, the
# RDS secret). A rename here would make CloudFormation replace the resource.
PRE_SPLIT_IDS = {
    "Vpc8378EB38",
    "FunctionSecurityGroup37F9C17C",
    "DatabaseSecurityGroupfromSocialMetricsProxySecurityGroupA05707445432BC3E3C09",
    "TokenKeyD1D1A236",
    "AppSecretFAB5164C",
    "AdminKeySecretF05D8AEB",
    "DatabaseB269D8BB",
    "DatabaseProxyE01FC4E6",
    "SocialMetricsDatabaseSecretE0B82DC13fdaad7efa858a3daf9490cf0a702aeb",
    "AlarmTopicD01E77F9",
    "CollectXQueue713CC015",
    "EventsDeadLetterQueue404572C7",
    "ApiF70053CD",
    "CollectorRoleDefaultPolicy3CB789BE",
    # The event source mappings moved to the SnapStart alias on purpose: CDK derives their ids
    # from the alias since, so that deploy created the alias's mappings and deleted the old.
    "CollectorAliasSqsEventSourceSocialMetricsCollectXQueue1E814FBE01C36A41",
    "IngestAliasSqsEventSourceSocialMetricsEventsQueueC52C6F61D7F4FF3C",
    "HttpApiF5A9A8A7",
    "HttpApiDefaultStage3EEB07D6",
    "CollectTickSchedule",
    "ScheduleInvokeRole27242E5F",
    "DatabaseMigration",
    "DashboardBucket5758873D",
    "DashboardDistributionD4569E0E",
}


def test_splitting_the_stack_into_constructs_renamed_no_resource(synth: Synth) -> None:
    resources = set(synth.document["Resources"])
    assert resources >= PRE_SPLIT_IDS, sorted(PRE_SPLIT_IDS - resources)
