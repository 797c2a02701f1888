"""The platform sandbox: one ASGI app speaking X, Graph (Facebook, Instagram, WhatsApp),
graph.instagram.com and TikTok on path prefixes, for tests, benchmarks and ``make run``."""
