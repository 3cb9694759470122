"""Figures of the charging network: the admin dashboard and the analytics endpoints."""
