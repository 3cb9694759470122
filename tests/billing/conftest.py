"""Fixtures of the billing tests."""

from tests.factories.razorpay import razorpay

__all__ = ["razorpay"]
