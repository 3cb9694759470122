"""The CSMS WebSocket endpoint: OCPP 1.6J and 2.0.1 chargers, and commands sent to them."""
