"""EVCare: one platform for an electric-vehicle care business."""

__version__ = "0.1.0"
