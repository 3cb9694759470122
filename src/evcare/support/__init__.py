"""Support tickets: the one ticket system (EV-CMS section 11; the hub's later)."""
