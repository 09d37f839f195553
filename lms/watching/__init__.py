"""Verified watching: playback sessions, heartbeats checked against the server's clock, and
coverage kept as merged intervals (DESIGN §4)."""
