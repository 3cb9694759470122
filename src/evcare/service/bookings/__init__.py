"""Service bookings: a state machine from booking to payment, every step checked and
written on the booking's timeline, and every status change announced to the customer.

    created -> mechanic_assigned -> analysis_submitted -> analysis_approved
      -> services_confirmed -> in_progress -> completed -> paid
    (cancelled from any state before in_progress)

One module per idea: ``lifecycle`` (the state machine and the timeline), ``views`` (what
a booking looks like, and the reads), ``intake`` (booking, assigning a mechanic),
``analysis`` (estimates, approval, the customer's confirmation), ``progress``,
``cancellation``, ``payments`` (the hand-off to ``billing``), ``facts`` (answers for the
catalogue); ``models`` and ``repository`` as in every context.

Money: items carry the catalogue price at booking and then the mechanic's estimate; GST
(``billing.tax``) is applied to each accepted line and fixed when the customer confirms.

This module is the context's entry point: the surfaces, the demo and the benchmarks call
the service functions through it (``bookings.create_booking(...)``). Inside the package,
modules import each other directly, never through here.
"""

from evcare.service.bookings import facts
from evcare.service.bookings.analysis import (
    ItemEstimate,
    approve_analysis,
    confirm_services,
    edit_analysis,
    submit_analysis,
)
from evcare.service.bookings.cancellation import cancel_booking
from evcare.service.bookings.intake import ServiceRequest, assign_mechanic, create_booking
from evcare.service.bookings.payments import (
    confirm_cash_collected,
    open_online_payment,
    receive_payment_webhook,
    reserve_cash_on_delivery,
    sandbox_checkout,
    verify_online_payment,
)
from evcare.service.bookings.progress import edit_progress, record_progress, validate_progress
from evcare.service.bookings.views import (
    BookingDetail,
    BookingView,
    Dashboard,
    Line,
    ProgressView,
    dashboard,
    get_booking,
    list_customer_bookings,
    mechanic_assignments,
    view_of,
    views_of,
)

__all__ = [
    "BookingDetail",
    "BookingView",
    "Dashboard",
    "ItemEstimate",
    "Line",
    "ProgressView",
    "ServiceRequest",
    "approve_analysis",
    "assign_mechanic",
    "cancel_booking",
    "confirm_cash_collected",
    "confirm_services",
    "create_booking",
    "dashboard",
    "edit_analysis",
    "edit_progress",
    "facts",
    "get_booking",
    "list_customer_bookings",
    "mechanic_assignments",
    "open_online_payment",
    "receive_payment_webhook",
    "record_progress",
    "reserve_cash_on_delivery",
    "sandbox_checkout",
    "submit_analysis",
    "validate_progress",
    "verify_online_payment",
    "view_of",
    "views_of",
]
