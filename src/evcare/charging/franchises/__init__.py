"""Franchises: a brand's franchisees, their agreements and staff, their stations' settlement."""
