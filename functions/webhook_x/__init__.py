"""Webhook receiver Lambda (x)."""
