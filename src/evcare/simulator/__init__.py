"""Simulated charge points for demos, tests and load: ``evcare simulate``."""
