"""Powertools Metrics (CloudWatch EMF on stdout) shared by every function."""

from __future__ import annotations

from aws_lambda_powertools import Metrics

metrics = Metrics(namespace="SocialMetrics", service="socialmetrics")
