"""Fixtures shared by the surfaces' tests."""

from tests.factories.razorpay import razorpay

__all__ = ["razorpay"]
