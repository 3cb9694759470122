"""Chargers (OCPP charge points): tables, queries, what people do with them, the state
OCPP reports, and the commands sent through the port (:mod:`.port`)."""
