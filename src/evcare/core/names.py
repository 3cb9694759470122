"""The one form names are compared in, so that a unique name is unique for people too.

``name_key("  Électrique ")``, ``name_key("ÉLECTRIQUE")`` and ``name_key("e\\u0301lectrique")``
are all ``"électrique"``: Unicode NFKC (compatibility forms such as full-width letters
and ligatures folded), case-folded (``ß`` -> ``ss``, not only ASCII ``lower()``, which
SQLite's ``lower()`` is), NFKC again (case folding can un-normalise), and runs of
whitespace as one space. The display name is kept as typed; the key is stored beside it
in a ``name_key`` column that carries the unique constraint, and lookups and searches
compare keys with keys, in Python, never with the database's ``lower()``.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from evcare.core.errors import FieldError, ValidationFailed

# Every display name is at most 150 characters; its key may grow (NFKC expands a few
# compatibility characters to many), so the column has room and a bound that a btree
# index on PostgreSQL can always hold (400 characters x 4 bytes < 2,704 bytes).
KEY_LENGTH = 400


def name_key(text: str) -> str:
    """The comparison form of ``text``: NFKC, case-folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def unique_key(name: str) -> str:
    """:func:`name_key` of a unique name, refused when it does not fit the key column."""
    key = name_key(name)
    if not key:
        raise ValidationFailed("name is blank", fields=[FieldError("name", "must not be blank")])
    if len(key) > KEY_LENGTH:
        raise ValidationFailed(
            "name is too long once normalised",
            fields=[FieldError("name", f"at most {KEY_LENGTH} characters once normalised")],
        )
    return key


class NameKeyed:
    """A table whose ``name`` is unique by :func:`name_key`: every write of ``name``
    writes ``name_key`` too, so no code path can store one without the other.
    The table declares the unique index over ``name_key`` (alone, or with its scope)."""

    name_key: Mapped[str] = mapped_column(String(KEY_LENGTH))

    @validates("name")
    def _keep_name_key(self, _: str, name: str) -> str:
        self.name_key = unique_key(name)
        return name
