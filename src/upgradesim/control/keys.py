"""The store's secret key: fingerprints of secrets and the audit chain are keyed with it.

It lives beside the store (``<store>.key``, mode 0600), never inside it: whoever can read the
database alone can neither test guesses against a fingerprint nor forge the audit chain.
``$UPGRADESIM_KEY`` (hex) overrides the file, for pipelines that keep it in a vault.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..errors import DataError

__all__ = ["store_key", "fingerprint", "keyed_hash"]


def store_key(db_path: str | os.PathLike, *, create: bool = True) -> bytes:
    """The store's key: ``$UPGRADESIM_KEY`` (hex), else ``<store>.key``, created (0600) when absent
    and ``create`` is true; a verifier passes ``create=False`` and gets an error instead."""
    env = os.environ.get("UPGRADESIM_KEY")
    if env:
        try:
            key = bytes.fromhex(env.strip())
        except ValueError:
            raise DataError("$UPGRADESIM_KEY: not a hex string (give the key as hex)") from None
        if len(key) < 16:
            raise DataError("$UPGRADESIM_KEY: too short (at least 16 bytes, 32 hex digits)")
        return key
    path = Path(f"{db_path}.key")
    if path.exists():
        try:
            return bytes.fromhex(path.read_text().strip())
        except (ValueError, UnicodeDecodeError):
            raise DataError(f"{path}: not a key file (one line of hex)") from None
    if not create:
        raise DataError(f"{path}: no key beside the store, so nothing keyed with it can be verified "
                        "(set $UPGRADESIM_KEY, or restore the key file)")
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def keyed_hash(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def fingerprint(key: bytes, value: str) -> str:
    """What a secret is stored as: enough to detect a change, useless to recover the value."""
    return "fp:" + keyed_hash(key, value)[:32]
