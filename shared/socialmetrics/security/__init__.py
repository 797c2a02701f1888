"""Security core: envelope encryption of tokens, API keys and JWT access tokens."""
