"""The CDK stack's constructs, one per concern; ``infra/stack.py`` composes them.

- ``data``: network (VPC, security groups), the token KMS key, the secrets, RDS behind RDS Proxy
- ``queues``: the alarm topic, every queue with its DLQ and alarm; the schedules
- ``exports``: the export bucket (private, encrypted, TLS only, exports expiring)
- ``functions``: the dependency layer, every function with its least-privilege role and SQS
  event sources, the HTTP API, the migrate-on-deploy custom resource
- ``dashboard``: the dashboard's bucket, headers policy, CloudFront distribution and upload

Each reads ``infra.definition`` only. (Not named ``constructs``: ``python infra/app.py``, as the
CDK CLI runs it, puts ``infra/`` first on ``sys.path``, where that name would hide the
``constructs`` library.) The stack keeps every logical id as it was before the
split (``SocialMetricsStack.allocate_logical_id``), so no resource is renamed by it.
"""
