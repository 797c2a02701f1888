"""Social Media Metrics: the domain package shared by every Lambda function."""

__version__ = "0.1.0"
