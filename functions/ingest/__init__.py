"""Ingest Lambda: applies queued webhook deliveries."""
