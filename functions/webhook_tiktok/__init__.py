"""Webhook receiver Lambda (tiktok)."""
