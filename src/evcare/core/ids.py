"""Integer keys and the public ids over them (``ADM000012``), parsed in one place.

Every key column is an ``INTEGER`` (PostgreSQL's 32-bit type; SQLite stores up to
64 bits), so a key is ASCII digits only (``str.isdigit()`` also accepts superscripts
and Arabic-Indic digits), no sign, no space, and between 1 and :data:`MAX_KEY`.
Anything else is no key at all: it can name no row, so callers answer "not found" (a
path) or refuse the field (a query or body) instead of handing the database a value it
cannot bind.
"""

from __future__ import annotations

import re

from evcare.core.errors import NotFound

MAX_KEY = 2_147_483_647
"""The largest value of PostgreSQL ``INTEGER``, the type of every key column."""

_DIGITS = re.compile(r"[0-9]{1,20}")
_PREFIX_LENGTH = 3


def parse_key(value: object) -> int | None:
    """The key ``value`` spells (an ``int`` or a string of ASCII digits within
    1..MAX_KEY), or None when it spells none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        key = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        key = int(value)
    else:
        return None
    return key if 1 <= key <= MAX_KEY else None


def parse_public_key(prefix: str, value: object) -> int | None:
    """The key in ``ADM000012`` (prefix any case) or in the bare key; None otherwise."""
    key = parse_key(value)
    if key is not None or not isinstance(value, str):
        return key
    head, digits = value[:_PREFIX_LENGTH], value[_PREFIX_LENGTH:]
    if not head.isascii() or head.upper() != prefix:
        return None
    return parse_key(digits)


def key_or_not_found(value: object, *, what: str) -> int:
    """The key ``value`` spells; NotFound ("Station 1x not found") when it spells none."""
    key = parse_key(value)
    if key is None:
        raise NotFound(f"{what} {value} not found")
    return key


def format_public_id(prefix: str, key: int) -> str:
    return f"{prefix}{key:06d}"


def parse_public_id(prefix: str, value: str | int, *, what: str) -> int:
    """Accept ``ADM000012`` or the bare key; anything else is a 404 for ``what``."""
    key = parse_public_key(prefix, value)
    if key is None:
        raise NotFound(f"{what} {value} not found")
    return key
