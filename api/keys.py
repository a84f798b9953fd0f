"""The shape of an API key and how it is stored: only its SHA-256."""

import hashlib

KEY_PREFIX = "fo_"
# What the admin screens show of a key: enough to tell two keys apart, useless to a thief.
SHOWN_CHARACTERS = len(KEY_PREFIX) + 8


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()
