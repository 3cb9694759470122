"""Fleets (developer hub ``/v1/fleet``): an organization's vehicles on the one vehicle
table, its drivers, who pays their charging, and when their maintenance is due."""
