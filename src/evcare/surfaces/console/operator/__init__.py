"""The operator console (``/console/``): brands and franchise staff run their own
stations and chargers, over the same services as EV-CMS's operator routes."""
