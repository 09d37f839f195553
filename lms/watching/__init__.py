"""Verified watching: playback sessions, heartbeats checked against the server's clock, and
coverage kept as merged intervals (rules §4)."""
