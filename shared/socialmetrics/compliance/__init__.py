"""LGPD records every package writes: the consent history and the audit log (export and
erasure, which read and delete across packages, live above in ``socialmetrics.privacy``)."""
