"""Charging sessions: models, queries, the OCPP-driven lifecycle, remote control, CDRs."""
