"""Charging: stations, chargers, connectors, sessions, meter values, CDRs."""
