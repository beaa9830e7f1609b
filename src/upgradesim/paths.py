"""User-given names that become file or folder names: one safe pattern, so no write leaves its folder."""

from __future__ import annotations

import re

from .errors import DataError

__all__ = ["safe_name", "SAFE_NAME"]

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")


def safe_name(value: object, what: str) -> str:
    """``value`` if it can be a single file name (letters, digits, ``._@+-``, at most 128
    characters, no leading dot, no ``..``); else a DataError naming ``what`` and the rule."""
    text = str(value)
    if not SAFE_NAME.fullmatch(text) or ".." in text:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise DataError(f"{what}(={shown!r}): must be 1-128 letters, digits or ._@+- , start with a letter or digit "
                        "and not contain '..' (it becomes a file name)")
    return text
