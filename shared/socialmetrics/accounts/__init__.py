"""Platform accounts (the seed's stored tokens) and the platform catalogue's app credentials."""
