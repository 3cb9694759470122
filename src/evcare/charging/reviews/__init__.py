"""Station reviews: drivers' ratings of a station, shown and counted once approved."""
