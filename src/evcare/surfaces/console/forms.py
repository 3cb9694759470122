"""A browser form read into an API's own request schema, so a page and its API route
validate the same way (no second copy of a rule), and the schema's complaints shown
beside the form.

A page handler builds the schema's input from the form (``lines()`` for a textarea of
one entry per line, ``form.getlist()`` for checkboxes), calls :func:`parse` and, on
:class:`FormInvalid`, renders the form again with ``error.messages`` (status 422).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from evcare.core.errors import DomainError

Model = TypeVar("Model", bound=BaseModel)


class FormInvalid(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages

    @classmethod
    def of(cls, error: DomainError) -> FormInvalid:
        """A service's refusal (an allowlist entry that names no route, a name taken) as
        form messages."""
        if not error.fields:
            return cls([error.detail])
        return cls([f"{field.field}: {field.message}" for field in error.fields])


def parse(schema: type[Model], values: dict[str, Any]) -> Model:
    try:
        return schema.model_validate(values)
    except ValidationError as error:
        raise FormInvalid(
            [
                f"{'.'.join(str(part) for part in problem['loc']) or 'form'}: {problem['msg']}"
                for problem in error.errors()
            ]
        ) from error


def lines(text: object) -> list[str]:
    """The non-empty lines of a textarea."""
    if not isinstance(text, str):
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def text(value: object) -> str | None:
    """A text input's value; an empty one is None (the schema's "not given")."""
    return value.strip() or None if isinstance(value, str) else None


def number(value: object) -> object:
    """A number input's value as the Decimal an amount schema takes; what is no number is
    passed on as typed, so the schema's own message says so; empty is None."""
    raw = text(value)
    if raw is None:
        return None
    try:
        found = Decimal(raw)
    except InvalidOperation:
        return raw
    return found if found.is_finite() else raw


def integer(value: object) -> object:
    """A whole-number input's value as an int (a strict int field takes no text)."""
    raw = text(value)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return raw
