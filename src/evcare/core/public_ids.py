"""Prefixed public ids (``org_...``, ``int_...``, ``acc_...``): made and parsed in one place.

The hub's resources are keyed by random prefixed strings, not integers, so nobody can
count them. :meth:`PublicIdKind.parse` is the only way such an id from the outside
reaches a service: strict ASCII (``[0-9a-z]`` after the prefix), bounded length, so a
malformed, over-long or Unicode-digit id is "not found" and never reaches the database.
Integer keys have their own types in :mod:`evcare.core.ids`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from evcare.core.errors import NotFound

# Longest id we ever issue or accept, prefix included (columns are String(48)).
MAX_LENGTH = 48
_RANDOM_BYTES = 10  # 20 hex characters: 80 bits


@dataclass(frozen=True)
class PublicIdKind:
    prefix: str  # e.g. "int_"
    noun: str  # e.g. "Integration", for the 404's message
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = re.compile(rf"{re.escape(self.prefix)}[0-9a-z]{{1,40}}", re.ASCII)
        object.__setattr__(self, "_pattern", pattern)

    def new(self) -> str:
        return self.prefix + secrets.token_hex(_RANDOM_BYTES)

    def is_valid(self, raw: str) -> bool:
        return len(raw) <= MAX_LENGTH and self._pattern.fullmatch(raw) is not None

    def parse(self, raw: str) -> str:
        """``raw`` if it is an id of this kind, else :class:`NotFound` (nothing can match)."""
        if not self.is_valid(raw):
            raise NotFound(f"{self.noun} not found")
        return raw


ORGANIZATION_ID = PublicIdKind("org_", "Organization")
ACCOUNT_ID = PublicIdKind("acc_", "Account")
INTEGRATION_ID = PublicIdKind("int_", "Integration")
PLAN_ID = PublicIdKind("plan_", "Plan")
WEBHOOK_ID = PublicIdKind("wh_", "Webhook")
HUB_INVOICE_ID = PublicIdKind("inv_", "Invoice")
# A delivery's id is the Standard Webhooks message id (``webhook-id``).
DELIVERY_ID = PublicIdKind("msg_", "Delivery")
MAINTENANCE_ID = PublicIdKind("mnt_", "Maintenance")
