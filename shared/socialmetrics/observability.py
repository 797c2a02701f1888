"""Powertools Metrics (CloudWatch EMF on stdout) and Tracer (X-Ray) shared by every function.

The tracer switches itself off outside Lambda (tests, ``make run``), so wrapping a call costs
nothing locally.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics, Tracer

metrics = Metrics(namespace="SocialMetrics", service="socialmetrics")
tracer = Tracer(service="socialmetrics")
