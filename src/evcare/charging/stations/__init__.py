"""Stations and their connectors: models, queries (nearby search included), the station cards."""
