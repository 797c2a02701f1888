"""Outbound signals: domain events written to an outbox in the producer's transaction, relayed
to an SQS delivery queue and posted, signed (Standard Webhooks), to each tenant's endpoints."""
