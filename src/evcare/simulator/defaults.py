"""What ``evcare simulate`` uses unless told otherwise: the demo data's chargers and driver.

``evcare demo`` creates chargers ``EVC-DEMO-001``.. with this password, and gives the demo
driver (driver@evcare.dev) this RFID token, so a simulated session belongs to them.
"""

from __future__ import annotations

DEMO_CHARGER_PREFIX = "EVC-DEMO-"
DEMO_CHARGER_PASSWORD = "demo-charger-secret"  # published demo credential
DEMO_ID_TAG = "DEMO-RFID-0001"
