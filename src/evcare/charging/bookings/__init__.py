"""Connector bookings: a driver reserves a connector for a time window (docs/bookings.md)."""
