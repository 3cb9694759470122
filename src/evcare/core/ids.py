"""Public identifiers in the shapes the seeds show (``ADM000012``) over integer keys."""

from __future__ import annotations

import re

from evcare.core.errors import NotFound

_PUBLIC_ID = re.compile(r"^([A-Z]{3})(\d{6,12})$")


def format_public_id(prefix: str, key: int) -> str:
    return f"{prefix}{key:06d}"


def parse_public_id(prefix: str, value: str | int, *, what: str) -> int:
    """Accept ``ADM000012`` or the bare number; anything else is a 404 for ``what``."""
    if isinstance(value, int):
        return value
    text = value.strip().upper()
    if text.isdigit():
        return int(text)
    match = _PUBLIC_ID.match(text)
    if not match or match.group(1) != prefix:
        raise NotFound(f"{what} {value} not found")
    return int(match.group(2))
