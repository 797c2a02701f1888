"""Usage and estimated cost per tenant: platform calls per day, X pay-per-use reads."""
