"""API keys: ``sm_<env>_<8-char id>_<43-char secret>`` — 32 random bytes behind a visible prefix.

Only the SHA-256 of the whole key is stored (a key carries 256 bits of entropy, so a fast
hash is enough: nothing can be brute-forced). The prefix (``sm_live_ab12cd34``) is stored in
clear to name the key in listings and to throttle guesses against one key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from pydantic import SecretStr

SECRET_BYTES = 32
_KEY = re.compile(r"^(sm_(?:live|test)_[a-z0-9]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: SecretStr  # shown once, never stored
    prefix: str
    key_hash: bytes


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def generate(live: bool) -> NewApiKey:
    ident = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    prefix = f"sm_{'live' if live else 'test'}_{ident}"
    key = f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewApiKey(key=SecretStr(key), prefix=prefix, key_hash=hash_key(key))


def prefix_of(key: str) -> str | None:
    """The visible prefix of a well-formed key, or ``None``."""
    match = _KEY.match(key)
    return match.group(1) if match else None
