"""The driver portal (``/app/``): seed 002's "Quick Start Checklist" flows for a driver,
over the same services as EV-CMS's routes; a driver reaches only their own data."""
