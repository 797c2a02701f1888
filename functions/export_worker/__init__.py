"""Export worker Lambda: writes large CSV exports to S3."""
