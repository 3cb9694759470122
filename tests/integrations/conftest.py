"""Fixtures of the integrations tests: the Razorpay stand-in (payment webhooks)."""

from tests.factories.razorpay import razorpay

__all__ = ["razorpay"]
