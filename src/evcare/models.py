"""Every context's tables on one metadata: what Alembic and the schema check compare."""

from evcare.billing.hub_invoice_models import HubInvoice, PaystackPayment
from evcare.billing.invoice_models import Invoice, InvoiceCounter, InvoiceItem
from evcare.billing.models import GstRate
from evcare.billing.payment_models import Payment, PaymentWebhookEvent
from evcare.billing.refund_models import Refund
from evcare.billing.wallet_models import Wallet, WalletEntry
from evcare.charging.bookings.models import BookingLog, ConnectorBooking
from evcare.charging.chargers.models import Charger, ConnectorStatusChange
from evcare.charging.franchises.models import Franchise, FranchiseStaff, FranchiseStation
from evcare.charging.maintenance.models import MaintenanceRecord
from evcare.charging.pricing.models import PricingRule
from evcare.charging.reviews.models import StationReview
from evcare.charging.sessions.models import ChargingSession, IdTag, MeterValue
from evcare.charging.stations.models import Connector, Station
from evcare.core.db import Base
from evcare.core.events import OutboxEvent
from evcare.engagement.models import ContentEntry
from evcare.engagement.notification_models import (
    Broadcast,
    DeliveryAttempt,
    Notification,
    NotificationPreference,
)
from evcare.files.models import Upload
from evcare.identity.models import (
    AuthSession,
    Organization,
    OrganizationMember,
    RefreshToken,
    User,
)
from evcare.integrations.idempotency_models import IdempotencyKey
from evcare.integrations.models import (
    ExternalIdentity,
    Integration,
    IntegrationSecret,
    SessionCode,
)
from evcare.integrations.usage_models import Plan, Subscription, UsageCount
from evcare.integrations.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from evcare.kyc.models import KycSubmission
from evcare.operations.settings_models import SettingChange, SystemSetting
from evcare.service.bookings.models import (
    BookingAnalysis,
    BookingEvent,
    BookingItem,
    BookingProgress,
    ServiceBooking,
)
from evcare.service.fleet_maintenance_models import (
    FleetAllowedWorkshop,
    FleetMaintenance,
    FleetMaintenanceSettings,
)
from evcare.service.models import (
    Address,
    CartItem,
    FavouriteService,
    MechanicAssignmentType,
    MechanicProfile,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceReview,
    Timeslot,
    WorkStatus,
)
from evcare.support.models import Ticket, TicketComment
from evcare.vehicles.models import (
    FuelType,
    Vehicle,
    VehicleClass,
    VehicleManufacturer,
    VehicleModel,
)

metadata = Base.metadata

__all__ = [
    "Address",
    "AuthSession",
    "BookingAnalysis",
    "BookingEvent",
    "BookingItem",
    "BookingLog",
    "BookingProgress",
    "Broadcast",
    "CartItem",
    "Charger",
    "ChargingSession",
    "Connector",
    "ConnectorBooking",
    "ConnectorStatusChange",
    "ContentEntry",
    "DeliveryAttempt",
    "ExternalIdentity",
    "FavouriteService",
    "FleetAllowedWorkshop",
    "FleetMaintenance",
    "FleetMaintenanceSettings",
    "Franchise",
    "FranchiseStaff",
    "FranchiseStation",
    "FuelType",
    "GstRate",
    "HubInvoice",
    "IdTag",
    "IdempotencyKey",
    "Integration",
    "IntegrationSecret",
    "Invoice",
    "InvoiceCounter",
    "InvoiceItem",
    "KycSubmission",
    "MaintenanceRecord",
    "MechanicAssignmentType",
    "MechanicProfile",
    "MeterValue",
    "Notification",
    "NotificationPreference",
    "Organization",
    "OrganizationMember",
    "OutboxEvent",
    "Payment",
    "PaymentWebhookEvent",
    "PaystackPayment",
    "Plan",
    "PricingRule",
    "RefreshToken",
    "Refund",
    "Service",
    "ServiceArea",
    "ServiceBooking",
    "ServiceCategory",
    "ServiceReview",
    "SessionCode",
    "SettingChange",
    "Station",
    "StationReview",
    "Subscription",
    "SystemSetting",
    "Ticket",
    "TicketComment",
    "Timeslot",
    "Upload",
    "UsageCount",
    "User",
    "Vehicle",
    "VehicleClass",
    "VehicleManufacturer",
    "VehicleModel",
    "Wallet",
    "WalletEntry",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkStatus",
    "metadata",
]
