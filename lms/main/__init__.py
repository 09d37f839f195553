"""The front door: the home page for each role, language choice, health check."""
