"""The one file store: uploads (profile, vehicle, station images; private documents)."""
