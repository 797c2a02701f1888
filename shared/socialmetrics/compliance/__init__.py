"""LGPD: consent history, the audit log, data export and erasure."""
