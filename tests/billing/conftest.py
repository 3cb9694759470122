from tests.surfaces.cms.test_wallet import razorpay

__all__ = ["razorpay"]
