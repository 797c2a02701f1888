"""Reading metrics: filtered keyset pages, time-bucket summaries and CSV rows."""
