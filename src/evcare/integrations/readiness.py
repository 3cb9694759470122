"""The go-live checklist, computed from the integration's current state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from evcare.core.clock import utcnow
from evcare.integrations.bundles import Bundle
from evcare.integrations.models import Integration, IntegrationStatus

SECRET_MAX_AGE = timedelta(days=90)


@dataclass(frozen=True)
class Check:
    check: str
    passed: bool
    hint: str


def checklist(integration: Integration, *, webhook_verified: bool) -> list[Check]:
    """Every check, passed or not, each with what to do about it."""
    https = all(urlsplit(uri).scheme == "https" for uri in integration.redirect_uris)
    secret_age = utcnow() - integration.secret_rotated_at
    return [
        Check(
            "status_active",
            integration.status == IntegrationStatus.ACTIVE,
            "Set status to active (PATCH /v1/integrations/{integrationId}).",
        ),
        Check(
            "credentials_live",
            integration.credentials_revoked_at is None,
            "Credentials were revoked: rotate them to issue a new secret.",
        ),
        Check(
            "redirect_uris_https",
            bool(integration.redirect_uris) and https,
            "Register at least one redirect URI, every one of them https://.",
        ),
        Check(
            "webhook_verified",
            webhook_verified,
            "Configure a webhook and have it answer its test ping.",
        ),
        Check(
            "secret_rotated_within_90_days",
            secret_age < SECRET_MAX_AGE,
            "Rotate the client secret (POST .../credentials/rotate) at least every 90 days.",
        ),
        Check(
            "allowlist_not_empty",
            bool(integration.allowed_endpoints),
            "List the endpoints you call in allowedEndpoints; empty means all the bundles allow.",
        ),
        Check(
            "least_privilege_bundles",
            Bundle.ALL_ACCESS not in integration.bundles,
            "Prefer the narrowest bundles; ALL_ACCESS is for the embed portal only.",
        ),
    ]
