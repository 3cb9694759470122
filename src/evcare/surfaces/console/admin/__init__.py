"""The admin UI (``/admin/``): admins only, over the same services as EV-CMS's admin API."""
