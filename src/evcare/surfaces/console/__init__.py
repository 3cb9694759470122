"""The web console: server-rendered pages (Jinja2) over the same services as the APIs.

Mounted into the one ASGI app by :func:`evcare.surfaces.console.app.install_console`:
the developer hub page, the admin UI, the operator console and the driver portal.
A page is a route of :class:`~evcare.surfaces.console.routing.ConsoleRoute` (the
request's transaction, the CSRF check of every state-changing request, domain errors
rendered as pages); the signed-in user comes from HttpOnly cookies carrying the same
tokens the APIs issue (:mod:`evcare.surfaces.console.auth`). Templates live in
``templates/``, the page scripts and the vendored browser libraries in ``static/``.
"""
