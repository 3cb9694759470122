"""Webhooks of the developer hub: endpoints, the deliveries the outbox feeds them, and the
runner that signs and sends each attempt (docs/developer-hub/05-webhooks-and-reliability.md)."""
