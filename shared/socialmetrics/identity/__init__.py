"""Users, their API keys, login (API key → JWT) and failed-login throttling."""
