"""Webhook receiver Lambda (meta)."""
