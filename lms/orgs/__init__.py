"""Organisations: districts, supervising departments, employer units and training providers."""
