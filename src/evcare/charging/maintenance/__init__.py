"""Charger maintenance: records of planned and corrective work on a charger, and what
starting and completing it tells the charger over OCPP (docs/maintenance.md)."""
