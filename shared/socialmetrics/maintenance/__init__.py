"""Daily upkeep: partitions ahead, retention, token refresh, pending erasures, pruning."""
