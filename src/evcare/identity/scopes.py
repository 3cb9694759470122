"""Scopes, and which role holds which. Every route declares the scopes it needs."""

from __future__ import annotations

from enum import StrEnum

from evcare.identity.models import Role


class Scope(StrEnum):
    READ_PROFILE = "READ:PROFILE"
    WRITE_PROFILE = "WRITE:PROFILE"
    READ_USERS = "READ:USERS"
    WRITE_USERS = "WRITE:USERS"
    READ_ADMINS = "READ:ADMINS"
    WRITE_ADMINS = "WRITE:ADMINS"
    READ_CUSTOMERS = "READ:CUSTOMERS"
    WRITE_CUSTOMERS = "WRITE:CUSTOMERS"
    READ_MECHANICS = "READ:MECHANICS"
    WRITE_MECHANICS = "WRITE:MECHANICS"
    READ_VEHICLES = "READ:VEHICLES"
    WRITE_VEHICLES = "WRITE:VEHICLES"
    # Manufacturers, models, classes and fuels: held by admins only.
    WRITE_VEHICLE_REFERENCE = "WRITE:VEHICLE_REFERENCE"
    READ_STATIONS = "READ:STATIONS"
    WRITE_STATIONS = "WRITE:STATIONS"
    DELETE_STATIONS = "DELETE:STATIONS"
    READ_CHARGERS = "READ:CHARGERS"
    WRITE_CHARGERS = "WRITE:CHARGERS"
    COMMAND_CHARGERS = "COMMAND:CHARGERS"
    RESTORE_CHARGERS = "RESTORE:CHARGERS"
    # Maintenance records of one's own chargers (operators); deleting one (admins).
    MANAGE_MAINTENANCE = "MANAGE:MAINTENANCE"
    DELETE_MAINTENANCE = "DELETE:MAINTENANCE"
    READ_SESSIONS = "READ:SESSIONS"
    WRITE_SESSIONS = "WRITE:SESSIONS"
    START_SESSIONS = "START:SESSIONS"
    # Quotes and tariffs (anyone signed in); rules of one's own stations (operators).
    READ_PRICING = "READ:PRICING"
    MANAGE_PRICING = "MANAGE:PRICING"
    # Issue, block and expire anyone's charging cards (admins); one's own are PROFILE.
    MANAGE_ID_TAGS = "MANAGE:ID_TAGS"
    READ_BOOKINGS = "READ:BOOKINGS"
    WRITE_BOOKINGS = "WRITE:BOOKINGS"
    MANAGE_BOOKINGS = "MANAGE:BOOKINGS"
    WORK_BOOKINGS = "WORK:BOOKINGS"
    READ_SERVICES = "READ:SERVICES"
    WRITE_SERVICES = "WRITE:SERVICES"
    SHOP_SERVICES = "SHOP:SERVICES"
    MANAGE_ADDRESSES = "MANAGE:ADDRESSES"
    READ_PAYMENTS = "READ:PAYMENTS"
    WRITE_PAYMENTS = "WRITE:PAYMENTS"
    MANAGE_PAYMENTS = "MANAGE:PAYMENTS"
    READ_WALLET = "READ:WALLET"
    WRITE_WALLET = "WRITE:WALLET"
    # Invoices, transactions and refunds: one's own (READ, and WRITE to ask a refund);
    # MANAGE: everyone's, creating and sending invoices, deciding refunds, reports.
    READ_BILLING = "READ:BILLING"
    WRITE_BILLING = "WRITE:BILLING"
    MANAGE_BILLING = "MANAGE:BILLING"
    READ_NOTIFICATIONS = "READ:NOTIFICATIONS"
    WRITE_NOTIFICATIONS = "WRITE:NOTIFICATIONS"
    MANAGE_NOTIFICATIONS = "MANAGE:NOTIFICATIONS"
    MANAGE_CONTENT = "MANAGE:CONTENT"
    # Uploads (images of one's profile, vehicle or station; private documents).
    WRITE_FILES = "WRITE:FILES"
    # Support tickets: one's own (users), everyone's (admins, as support staff).
    READ_SUPPORT = "READ:SUPPORT"
    WRITE_SUPPORT = "WRITE:SUPPORT"
    MANAGE_SUPPORT = "MANAGE:SUPPORT"
    # KYC: one's own status and submission under the profile scopes; reviewing: admins.
    MANAGE_KYC = "MANAGE:KYC"
    MANAGE_SETTINGS = "MANAGE:SETTINGS"
    MANAGE_BACKUPS = "MANAGE:BACKUPS"
    READ_ANALYTICS = "READ:ANALYTICS"
    # EV-CMS partners (organizations): admins create, admins and brands list.
    READ_PARTNERS = "READ:PARTNERS"
    WRITE_PARTNERS = "WRITE:PARTNERS"
    # A brand's franchises, their agreements and staff; deleting one is the admins'.
    MANAGE_FRANCHISES = "MANAGE:FRANCHISES"
    DELETE_FRANCHISES = "DELETE:FRANCHISES"
    # The admin dashboard, verifying stations, every booking and review: admins only.
    MANAGE_NETWORK = "MANAGE:NETWORK"
    READ_INTEGRATIONS = "READ:INTEGRATIONS"
    WRITE_INTEGRATIONS = "WRITE:INTEGRATIONS"
    READ_FLEET = "READ:FLEET"
    WRITE_FLEET = "WRITE:FLEET"
    # A person's own self-service on the hub (/v1/client): every person holds them; among
    # the bundles only CLIENT_ACCESS (and ALL_ACCESS) grants them.
    READ_CLIENT = "READ:CLIENT"
    WRITE_CLIENT = "WRITE:CLIENT"
    READ_ORGANIZATION = "READ:ORGANIZATION"
    WRITE_ORGANIZATION = "WRITE:ORGANIZATION"
    # A partner backend signs its own users in (POST /v1/integrations/auth/exchange).
    FEDERATE_USERS = "FEDERATE:USERS"
    EMBED_PORTAL = "EMBED:PORTAL"
    # An integration's own plan, subscription and usage: the integration's token and
    # admins, never its users (EV-CMS's READ:BILLING is a user's own invoices).
    READ_SUBSCRIPTION = "READ:SUBSCRIPTION"
    WRITE_SUBSCRIPTION = "WRITE:SUBSCRIPTION"
    # An integration's own webhook endpoints (and an admin's, for any integration).
    MANAGE_WEBHOOKS = "MANAGE:WEBHOOKS"


_SELF_SERVICE = {
    Scope.READ_PROFILE,
    Scope.WRITE_PROFILE,
    Scope.READ_VEHICLES,
    Scope.WRITE_VEHICLES,
    Scope.READ_STATIONS,
    Scope.READ_CHARGERS,
    Scope.READ_SESSIONS,
    Scope.WRITE_SESSIONS,
    Scope.READ_PRICING,
    Scope.READ_BOOKINGS,
    Scope.WRITE_BOOKINGS,
    Scope.READ_SERVICES,
    Scope.READ_PAYMENTS,
    Scope.WRITE_PAYMENTS,
    Scope.READ_WALLET,
    Scope.WRITE_WALLET,
    Scope.READ_BILLING,
    Scope.WRITE_BILLING,
    Scope.READ_NOTIFICATIONS,
    Scope.WRITE_NOTIFICATIONS,
    Scope.WRITE_FILES,
    Scope.READ_SUPPORT,
    Scope.WRITE_SUPPORT,
    Scope.READ_CLIENT,
    Scope.WRITE_CLIENT,
}

_OPERATOR = {
    *_SELF_SERVICE,
    Scope.WRITE_STATIONS,
    Scope.WRITE_CHARGERS,
    Scope.COMMAND_CHARGERS,
    Scope.MANAGE_MAINTENANCE,
    Scope.START_SESSIONS,
    Scope.MANAGE_PRICING,
    Scope.READ_ANALYTICS,
}

# Everything a partner integration may ever be granted: ALL_ACCESS, the union of the
# bundles (evcare.integrations.bundles). The integration's current bundles narrow it
# on every request.
PARTNER_SCOPES = frozenset(
    {
        *_SELF_SERVICE,
        Scope.READ_FLEET,
        Scope.WRITE_FLEET,
        Scope.READ_ORGANIZATION,
        Scope.WRITE_ORGANIZATION,
        Scope.FEDERATE_USERS,
        Scope.EMBED_PORTAL,
        Scope.READ_SUBSCRIPTION,
        Scope.WRITE_SUBSCRIPTION,
        Scope.MANAGE_WEBHOOKS,
    }
)

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset(Scope),
    Role.BRAND: frozenset({*_OPERATOR, Scope.READ_PARTNERS, Scope.MANAGE_FRANCHISES}),
    Role.FRANCHISE: frozenset(_OPERATOR),
    Role.MECHANIC: frozenset(
        {*_SELF_SERVICE, Scope.WORK_BOOKINGS, Scope.READ_MECHANICS, Scope.MANAGE_PAYMENTS}
    ),
    # Organization scopes: what the organization lets them do is its membership's role.
    Role.FLEET_MANAGER: frozenset(
        {
            *_SELF_SERVICE,
            Scope.READ_FLEET,
            Scope.WRITE_FLEET,
            Scope.READ_ORGANIZATION,
            Scope.WRITE_ORGANIZATION,
        }
    ),
    # Workshop customers: cart, favourites, reviews and their own addresses.
    Role.USER: frozenset({*_SELF_SERVICE, Scope.SHOP_SERVICES, Scope.MANAGE_ADDRESSES}),
    Role.INTEGRATION: PARTNER_SCOPES,
}


def scopes_for(role: str) -> frozenset[str]:
    try:
        return frozenset(str(scope) for scope in ROLE_SCOPES[Role(role)])
    except ValueError:
        return frozenset()
