"""Indian identity document numbers: each checked by its real format, normalised first
(spaces and hyphens dropped, letters upper-cased).

- ``aadhaar``: 12 digits, not starting with 0 or 1, the last a Verhoeff check digit
  (UIDAI's rule);
- ``pan``: ``AAAAA9999A``: 3 letters, the holder's type (``P`` a person, ``C`` a
  company, ...: one of ``ABCFGHJLPT``), a letter, 4 digits, a letter;
- ``driving_license``: 15 characters (the Sarathi format): state code (``MH``), 2-digit
  RTO code, year of issue (19xx/20xx), 7 digits: ``MH1420110062821``;
- ``passport``: a letter (not ``Q``, ``X`` or ``Z``), then 7 digits, the first not 0:
  ``J8369854``.

Nothing here logs or echoes a number: an error says what is wrong, never the value.
"""

from __future__ import annotations

import re

from evcare.core.errors import FieldError, ValidationFailed
from evcare.kyc.models import DocumentType

FIELD = "documentNumber"

# Verhoeff's dihedral-group tables (multiplication, permutation).
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_valid(digits: str) -> bool:
    """Whether ``digits`` ends in its Verhoeff check digit."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _D[check][_P[position % 8][int(digit)]]
    return check == 0


def verhoeff_digit(digits: str) -> str:
    """The check digit to append to ``digits``."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _D[check][_P[(position + 1) % 8][int(digit)]]
    return str(_INV[check])


# Indian state and union-territory codes as they open a driving licence number.
STATE_CODES = frozenset(
    {
        "AN",
        "AP",
        "AR",
        "AS",
        "BR",
        "CG",
        "CH",
        "DD",
        "DL",
        "DN",
        "GA",
        "GJ",
        "HP",
        "HR",
        "JH",
        "JK",
        "KA",
        "KL",
        "LA",
        "LD",
        "MH",
        "ML",
        "MN",
        "MP",
        "MZ",
        "NL",
        "OD",
        "OR",
        "PB",
        "PY",
        "RJ",
        "SK",
        "TN",
        "TR",
        "TS",
        "UK",
        "UA",
        "UP",
        "WB",
    }
)
_PAN = re.compile(r"[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z]")
_DL = re.compile(r"([A-Z]{2})[0-9]{2}(?:19|20)[0-9]{2}[0-9]{7}")
_PASSPORT = re.compile(r"[A-PR-WY][1-9][0-9]{6}")
_AADHAAR = re.compile(r"[2-9][0-9]{11}")
_SEPARATORS = re.compile(r"[\s-]+")

_EXPECTED = {
    DocumentType.AADHAAR: "12 digits (not starting with 0 or 1) with a valid check digit",
    DocumentType.PAN: "a PAN such as ABCPE1234F",
    DocumentType.DRIVING_LICENSE: "a driving licence number such as MH1420110062821",
    DocumentType.PASSPORT: "a passport number such as J8369854",
}


def _valid(document_type: DocumentType, number: str) -> bool:
    if document_type == DocumentType.AADHAAR:
        return _AADHAAR.fullmatch(number) is not None and verhoeff_valid(number)
    if document_type == DocumentType.PAN:
        return _PAN.fullmatch(number) is not None
    if document_type == DocumentType.DRIVING_LICENSE:
        match = _DL.fullmatch(number)
        return match is not None and match.group(1) in STATE_CODES
    return _PASSPORT.fullmatch(number) is not None


def normalise(document_type: DocumentType, raw: str) -> str:
    """The number in its canonical form, or a 422 naming ``documentNumber``."""
    number = _SEPARATORS.sub("", raw).upper()
    if not _valid(document_type, number):
        message = f"must be {_EXPECTED[document_type]}"
        raise ValidationFailed(f"{FIELD}: {message}", fields=[FieldError(FIELD, message)])
    return number


def masked(last4: str) -> str:
    """What is shown of a number anywhere: its last four characters."""
    return f"XXXXXXXX{last4}"
